// The utf8 table of Lua 5.4 for LuaJIT: char, charpattern, codepoint, len,
// offset, codes (with the optional `lax` flag). charpattern spells the NUL
// byte as %z because LuaJIT patterns stop at an embedded zero.
#include "compat.h"

namespace {

constexpr uint32_t max_unicode = 0x10FFFF;
constexpr uint32_t max_utf = 0x7FFFFFFF; // the old 6-byte encoding's limit

bool is_continuation(const char *p) {
    return (static_cast<unsigned char>(*p) & 0xC0) == 0x80;
}

// Decodes the sequence at s (which ends at `end`) into *code and returns its
// length, or 0 when it is malformed, overlong, or (strict) not a Unicode
// scalar value.
int decode(const char *s, const char *end, uint32_t *code, bool strict) {
    unsigned lead = static_cast<unsigned char>(s[0]);
    if (lead < 0x80) {
        *code = lead;
        return 1;
    }
    int len;
    uint32_t smallest;
    if (lead < 0xC0)
        return 0;
    else if (lead < 0xE0)
        len = 2, smallest = 0x80;
    else if (lead < 0xF0)
        len = 3, smallest = 0x800;
    else if (lead < 0xF8)
        len = 4, smallest = 0x10000;
    else if (lead < 0xFC)
        len = 5, smallest = 0x200000;
    else if (lead < 0xFE)
        len = 6, smallest = 0x4000000;
    else
        return 0;
    if (end - s < len)
        return 0;
    uint32_t v = lead & (0x7Fu >> len);
    for (int i = 1; i < len; ++i) {
        if (!is_continuation(s + i))
            return 0;
        v = (v << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    }
    if (v < smallest)
        return 0;
    if (strict && (v > max_unicode || (v >= 0xD800 && v <= 0xDFFF)))
        return 0;
    *code = v;
    return len;
}

int encode(uint32_t code, char *out) {
    if (code < 0x80) {
        out[0] = static_cast<char>(code);
        return 1;
    }
    // Fill continuation bytes from the end while the rest won't fit the lead.
    char tmp[6];
    int n = 0;
    uint32_t lead_room = 0x3F; // payload bits a lead byte can still carry
    while (code > lead_room) {
        tmp[5 - n++] = static_cast<char>(0x80 | (code & 0x3F));
        code >>= 6;
        lead_room >>= 1;
    }
    tmp[5 - n] = static_cast<char>(((~lead_room << 1) & 0xFF) | code);
    ++n;
    for (int i = 0; i < n; ++i)
        out[i] = tmp[6 - n + i];
    return n;
}

lua_Integer check_integer(lua_State *L, int arg) {
    lua_Number n = luaL_checknumber(L, arg);
    uint64_t bits = 0;
    if (!number_to_bits(n, &bits) || n >= 9223372036854775808.0)
        luaL_argerror(L, arg, "number has no integer representation");
    return static_cast<lua_Integer>(n);
}

lua_Integer opt_integer(lua_State *L, int arg, lua_Integer fallback) {
    return lua_isnoneornil(L, arg) ? fallback : check_integer(L, arg);
}

// Lua's position rule: negative counts from the end, -len-1 and below clamp to 0.
lua_Integer relative(lua_Integer pos, size_t len) {
    if (pos >= 0)
        return pos;
    if (static_cast<size_t>(-pos) > len)
        return 0;
    return static_cast<lua_Integer>(len) + pos + 1;
}

int utf8_char(lua_State *L) {
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; ++i) {
        lua_Integer code = check_integer(L, i);
        luaL_argcheck(L, code >= 0 && static_cast<uint64_t>(code) <= max_utf, i,
                      "value out of range");
        char bytes[6];
        luaL_addlstring(&b, bytes, encode(static_cast<uint32_t>(code), bytes));
    }
    luaL_pushresult(&b);
    return 1;
}

int utf8_codepoint(lua_State *L) {
    size_t len = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer first = relative(opt_integer(L, 2, 1), len);
    lua_Integer last = relative(opt_integer(L, 3, first), len);
    bool strict = !lua_toboolean(L, 4);
    luaL_argcheck(L, first >= 1, 2, "out of bounds");
    luaL_argcheck(L, last <= static_cast<lua_Integer>(len), 3, "out of bounds");
    if (first > last)
        return 0;
    luaL_checkstack(L, static_cast<int>(last - first + 1), "string slice too long");
    const char *end = s + len;
    const char *p = s + first - 1;
    int n = 0;
    while (p < s + last) {
        uint32_t code = 0;
        int step = decode(p, end, &code, strict);
        if (step == 0)
            return luaL_error(L, "invalid UTF-8 code");
        lua_pushinteger(L, code);
        p += step;
        ++n;
    }
    return n;
}

int utf8_len(lua_State *L) {
    size_t len = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer first = relative(opt_integer(L, 2, 1), len);
    lua_Integer last = relative(opt_integer(L, 3, -1), len);
    bool strict = !lua_toboolean(L, 4);
    luaL_argcheck(L, 1 <= first && first - 1 <= static_cast<lua_Integer>(len), 2,
                  "initial position out of bounds");
    luaL_argcheck(L, last - 1 < static_cast<lua_Integer>(len), 3, "final position out of bounds");
    lua_Integer n = 0;
    for (lua_Integer pos = first - 1; pos < last;) {
        uint32_t code = 0;
        int step = decode(s + pos, s + len, &code, strict);
        if (step == 0) {
            lua_pushnil(L);
            lua_pushinteger(L, pos + 1);
            return 2;
        }
        pos += step;
        ++n;
    }
    lua_pushinteger(L, n);
    return 1;
}

int utf8_offset(lua_State *L) {
    size_t len = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer n = check_integer(L, 2);
    lua_Integer start = n >= 0 ? 1 : static_cast<lua_Integer>(len) + 1;
    lua_Integer pos = relative(opt_integer(L, 3, start), len) - 1;
    luaL_argcheck(L, 0 <= pos && pos <= static_cast<lua_Integer>(len), 3, "position out of bounds");
    // s[len] is the terminating NUL, never a continuation byte.
    if (n == 0) {
        while (pos > 0 && is_continuation(s + pos))
            --pos;
    } else if (is_continuation(s + pos)) {
        return luaL_error(L, "initial position is a continuation byte");
    } else if (n < 0) {
        for (; n < 0 && pos > 0; ++n) {
            do {
                --pos;
            } while (pos > 0 && is_continuation(s + pos));
        }
    } else {
        for (--n; n > 0 && pos < static_cast<lua_Integer>(len); --n) {
            do {
                ++pos;
            } while (is_continuation(s + pos));
        }
    }
    if (n == 0)
        lua_pushinteger(L, pos + 1);
    else
        lua_pushnil(L);
    return 1;
}

// Iterator state: the 1-based position of the previous character (0 at start).
int codes_step(lua_State *L, bool strict) {
    size_t len = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    auto pos = static_cast<size_t>(lua_tointeger(L, 2));
    while (pos < len && is_continuation(s + pos))
        ++pos;
    if (pos >= len)
        return 0;
    uint32_t code = 0;
    int step = decode(s + pos, s + len, &code, strict);
    if (step == 0 || is_continuation(s + pos + step))
        return luaL_error(L, "invalid UTF-8 code");
    lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
    lua_pushinteger(L, code);
    return 2;
}

int codes_strict(lua_State *L) {
    return codes_step(L, true);
}
int codes_lax(lua_State *L) {
    return codes_step(L, false);
}

int utf8_codes(lua_State *L) {
    const char *s = luaL_checkstring(L, 1);
    luaL_argcheck(L, !is_continuation(s), 1, "invalid UTF-8 code");
    lua_pushcfunction(L, lua_toboolean(L, 2) ? codes_lax : codes_strict);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    return 3;
}

} // namespace

void skynet_compat_utf8(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"char", utf8_char},     {"codepoint", utf8_codepoint}, {"len", utf8_len},
        {"offset", utf8_offset}, {"codes", utf8_codes},         {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_pushliteral(L, "[%z\x01-\x7F\xC2-\xFD][\x80-\xBF]*");
    lua_setfield(L, -2, "charpattern");
    lua_pushvalue(L, -1);
    lua_setglobal(L, "utf8");
    // require "utf8" finds it too, as in Lua 5.3.
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "utf8");
    lua_pop(L, 3);
}
