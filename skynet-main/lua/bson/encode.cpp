// Lua values to bson bytes, with upstream's choices: a table is an array when
// its first key is 1 (or a __len metamethod says so), a document otherwise; a
// string starting with "\0" is a tagged value; a bson userdata is embedded as
// a sub-document.
#include "bson.h"

#include <cmath>
#include <cstdio>

namespace bson {

namespace {

constexpr unsigned kMaxUnicode = 0x10FFFF;

// The length of the UTF-8 sequence at s (at most n bytes), or 0 when it is
// malformed: a stray continuation byte, an overlong form, past U+10FFFF.
size_t utf8_sequence(const uint8_t *s, size_t n) {
    static const unsigned lowest[] = {0xFF, 0x7F, 0x7FF, 0xFFFF};
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    unsigned code = 0;
    size_t count = 0;
    for (; c & 0x40; c <<= 1) {
        if (++count >= n || count > 3 || (s[count] & 0xC0) != 0x80)
            return 0;
        code = code << 6 | (s[count] & 0x3F);
    }
    code |= (c & 0x7F) << (count * 5);
    if (code > kMaxUnicode || code <= lowest[count])
        return 0;
    return count + 1;
}

// Keys and strings are written as C strings after a UTF-8 check.
void write_cstring(lua_State *L, Writer &w, std::string_view s) {
    auto *p = reinterpret_cast<const uint8_t *>(s.data());
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8_sequence(p + i, s.size() - i);
        if (n == 0)
            luaL_error(L, "Invalid utf8 string");
        i += n;
    }
    w.raw(s.data(), s.size());
    w.byte(0);
}

void write_key(lua_State *L, Writer &w, uint8_t type, std::string_view key) {
    w.byte(type);
    write_cstring(L, w, key);
}

void encode_value(lua_State *L, Writer &w, std::string_view key, int depth);

void encode_number(lua_State *L, Writer &w, std::string_view key) {
    lua_Number n = lua_tonumber(L, -1);
    if (!exact_integer(n)) {
        write_key(L, w, kReal, key);
        w.real(n);
        return;
    }
    auto i = static_cast<int64_t>(n);
    if (i >= INT32_MIN && i <= INT32_MAX) {
        write_key(L, w, kInt32, key);
        w.int32(static_cast<int32_t>(i));
    } else {
        write_key(L, w, kInt64, key);
        w.int64(i);
    }
}

// The payload of a tagged string: "\0", type, payload.
void encode_tagged(lua_State *L, Writer &w, std::string_view key, std::string_view s) {
    auto type = static_cast<uint8_t>(s[1]);
    std::string_view body = s.substr(2);
    write_key(L, w, type, key);
    switch (type) {
    case kBinary: // body is the subtype byte, then the data
        if (body.empty())
            luaL_error(L, "Invalid binary");
        w.int32(static_cast<int32_t>(body.size() - 1));
        w.raw(body.data(), body.size());
        break;
    case kObjectId:
        if (body.size() != 12)
            luaL_error(L, "Invalid object id %s", body.data());
        w.raw(body.data(), body.size());
        break;
    case kJsCode:
    case kDbPointer:
    case kSymbol:
    case kCodeWithScope:
        w.raw(body.data(), body.size());
        break;
    case kDate:
        if (body.size() != 4)
            luaL_error(L, "Invalid date");
        w.int64(int64_t(load_u32(reinterpret_cast<const uint8_t *>(body.data()))) * 1000);
        break;
    case kTimestamp:
        if (body.size() != 8)
            luaL_error(L, "Invalid timestamp");
        w.raw(body.data(), 8); // increment, then seconds: both little-endian already
        break;
    case kRegex: { // pattern \0 options \0
        if (body.empty())
            luaL_error(L, "Invalid regex");
        std::string_view both = body.substr(0, body.size() - 1);
        size_t split = both.rfind('\0');
        if (split == std::string_view::npos)
            luaL_error(L, "Invalid regex");
        write_cstring(L, w, both.substr(0, split));
        write_cstring(L, w, both.substr(split + 1));
        break;
    }
    case kMinKey:
    case kMaxKey:
    case kNull:
        break;
    case kInt64:
        if (body.size() != 8)
            luaL_error(L, "Invalid int64");
        w.raw(body.data(), 8);
        break;
    default:
        luaL_error(L, "Invalid subtype %d", type);
    }
}

void encode_string(lua_State *L, Writer &w, std::string_view key) {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    std::string_view str(s, len);
    if (len > 1 && s[0] == '\0') {
        encode_tagged(L, w, key, str);
        return;
    }
    write_key(L, w, kString, key);
    w.int32(static_cast<int32_t>(len + 1));
    write_cstring(L, w, str);
}

// A bson userdata (full or light) embeds its bytes as a sub-document.
void encode_embedded(lua_State *L, Writer &w, std::string_view key) {
    auto *doc = static_cast<const uint8_t *>(lua_touserdata(L, -1));
    bool full = lua_type(L, -1) == LUA_TUSERDATA;
    if (doc == nullptr || (full && lua_objlen(L, -1) < 5))
        luaL_error(L, "Invalid bson document");
    size_t size = load_u32(doc);
    if (size < 5 || (full && size > lua_objlen(L, -1)))
        luaL_error(L, "Invalid bson document (length %d)", static_cast<int>(size));
    write_key(L, w, kDocument, key);
    w.raw(doc, size);
}

// The array index key "0", "1", ... of element i (1-based).
std::string_view index_key(size_t i, char (&buf)[24]) {
    int n = std::snprintf(buf, sizeof buf, "%zu", i - 1);
    return {buf, static_cast<size_t>(n)};
}

void encode_array(lua_State *L, Writer &w, size_t len, int depth) {
    size_t at = w.reserve_length();
    char buf[24];
    for (size_t i = 1; i <= len; ++i) {
        lua_pushinteger(L, static_cast<lua_Integer>(i));
        lua_gettable(L, -2); // honours __index, as upstream's lua_geti does
        encode_value(L, w, index_key(i, buf), depth);
        lua_pop(L, 1);
    }
    w.close_document(at);
}

// The key/value pair at -2/-1 of a document; pops the value.
void encode_field(lua_State *L, Writer &w, int depth) {
    int kt = lua_type(L, -2);
    if (kt == LUA_TNUMBER)
        luaL_error(L, "Bson dictionary's key can't be number");
    if (kt != LUA_TSTRING)
        luaL_error(L, "Invalid key type : %s", lua_typename(L, kt));
    size_t len;
    const char *k = lua_tolstring(L, -2, &len);
    encode_value(L, w, {k, len}, depth);
    lua_pop(L, 1);
}

void encode_plain_document(lua_State *L, Writer &w, int depth) {
    size_t at = w.reserve_length();
    lua_pushnil(L);
    while (lua_next(L, -2) != 0)
        encode_field(L, w, depth);
    w.close_document(at);
}

// The table is at -2 and its __pairs function at -1.
void encode_meta_document(lua_State *L, Writer &w, int depth) {
    size_t at = w.reserve_length();
    lua_pushvalue(L, -2);
    lua_call(L, 1, 3); // next, state, first key
    for (;;) {
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -3);
        lua_call(L, 2, 2); // key, value
        if (lua_isnil(L, -2)) {
            lua_pop(L, 5);
            break;
        }
        lua_pushvalue(L, -2);
        lua_replace(L, -4); // the key is the next call's control value
        encode_field(L, w, depth);
        lua_pop(L, 1);
    }
    w.close_document(at);
}

// Upstream's test: the first key next() returns is 1, or an integer inside
// the array part's border.
bool is_raw_array(lua_State *L) {
    lua_pushnil(L);
    if (lua_next(L, -2) == 0)
        return false; // an empty table is a document
    lua_Number first = 0;
    if (lua_type(L, -2) == LUA_TNUMBER)
        first = lua_tonumber(L, -2);
    lua_pop(L, 2);
    if (first != std::floor(first) || first <= 1)
        return first == 1;
    return first <= static_cast<lua_Number>(lua_objlen(L, -1));
}

void encode_nested_table(lua_State *L, Writer &w, std::string_view key, int depth) {
    if (depth > kMaxDepth)
        luaL_error(L, "Too depth while encoding bson");
    luaL_checkstack(L, 16, nullptr);
    if (luaL_getmetafield(L, -1, "__len")) {
        lua_pushvalue(L, -2);
        lua_call(L, 1, 1);
        lua_Number n = lua_tonumber(L, -1);
        if (lua_type(L, -1) != LUA_TNUMBER || n != std::floor(n))
            luaL_error(L, "__len should return integer");
        lua_pop(L, 1);
        write_key(L, w, kArray, key);
        encode_array(L, w, n > 0 ? static_cast<size_t>(n) : 0, depth);
    } else if (luaL_getmetafield(L, -1, "__pairs")) {
        write_key(L, w, kDocument, key);
        encode_meta_document(L, w, depth);
    } else if (is_raw_array(L)) {
        write_key(L, w, kArray, key);
        encode_array(L, w, lua_objlen(L, -1), depth);
    } else {
        write_key(L, w, kDocument, key);
        encode_plain_document(L, w, depth);
    }
}

void encode_value(lua_State *L, Writer &w, std::string_view key, int depth) {
    switch (int t = lua_type(L, -1)) {
    case LUA_TNUMBER:
        encode_number(L, w, key);
        break;
    case LUA_TLIGHTUSERDATA:
    case LUA_TUSERDATA:
        encode_embedded(L, w, key);
        break;
    case LUA_TSTRING:
        encode_string(L, w, key);
        break;
    case LUA_TTABLE:
        encode_nested_table(L, w, key, depth + 1);
        break;
    case LUA_TBOOLEAN:
        write_key(L, w, kBoolean, key);
        w.byte(lua_toboolean(L, -1) ? 1 : 0);
        break;
    case LUA_TNIL:
        luaL_error(L, "Bson array has a hole (nil), Use bson.null instead");
        break;
    default:
        luaL_error(L, "Invalid value type : %s", lua_typename(L, t));
    }
}

} // namespace

bool exact_integer(lua_Number n) {
    return n == std::floor(n) && n > -kExactIntLimit && n < kExactIntLimit &&
           !(n == 0 && std::signbit(n));
}

void encode_table(lua_State *L, Writer &w) {
    luaL_checkstack(L, 16, nullptr);
    if (luaL_getmetafield(L, -1, "__pairs"))
        encode_meta_document(L, w, 0);
    else
        encode_plain_document(L, w, 0);
}

void encode_pairs(lua_State *L, Writer &w, int n) {
    size_t at = w.reserve_length();
    for (int i = 1; i < n; i += 2) {
        size_t len;
        const char *k = lua_tolstring(L, i, &len);
        if (k == nullptr)
            luaL_error(L, "Argument %d need a string", i);
        lua_pushvalue(L, i + 1);
        encode_value(L, w, {k, len}, 0);
        lua_pop(L, 1);
    }
    w.close_document(at);
}

} // namespace bson
