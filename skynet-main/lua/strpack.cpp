// string.pack, string.unpack and string.packsize of Lua 5.3/5.4 for LuaJIT.
// The format language is Lua's: < > = ![n] b B h H i[n] I[n] l L j J T f d n
// s[n] z x X<op> c<n> and spaces. Integers travel as doubles: packing needs
// an integral value (unsigned formats also take 2^63..2^64-1), unpacking
// gives what Lua 5.4 gives, as a double, so exact below 2^53; like there, an
// unsigned field of 8 or more bytes with the top bit set reads as negative.
#include "compat.h"

#include <bit>
#include <climits>
#include <cstring>

namespace {

constexpr int max_int_size = 16;
constexpr size_t max_total = size_t{1} << 53;     // exact as a double
constexpr int native_align = alignof(lua_Number); // what '!' alone selects
constexpr bool host_little = std::endian::native == std::endian::little;

enum class kind { sint, uint, float32, float64, fixed, string, zstring, padding, align, nop };

struct header {
    lua_State *L;
    bool little = host_little;
    int maxalign = 1;
};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int read_number(const char **fmt, int fallback) {
    if (!is_digit(**fmt))
        return fallback;
    int n = 0;
    do {
        n = n * 10 + (*(*fmt)++ - '0');
    } while (is_digit(**fmt) && n <= (INT_MAX - 9) / 10);
    return n;
}

int read_int_size(header &h, const char **fmt, int fallback) {
    int n = read_number(fmt, fallback);
    if (n > max_int_size || n <= 0)
        luaL_error(h.L, "integral size (%d) out of limits [1,%d]", n, max_int_size);
    return n;
}

kind read_option(header &h, const char **fmt, int *size) {
    char c = *(*fmt)++;
    *size = 0;
    switch (c) {
    case 'b':
        *size = 1;
        return kind::sint;
    case 'B':
        *size = 1;
        return kind::uint;
    case 'h':
        *size = 2;
        return kind::sint;
    case 'H':
        *size = 2;
        return kind::uint;
    case 'i':
        *size = read_int_size(h, fmt, 4);
        return kind::sint;
    case 'I':
        *size = read_int_size(h, fmt, 4);
        return kind::uint;
    case 'l':
    case 'j':
        *size = 8;
        return kind::sint;
    case 'L':
    case 'J':
    case 'T':
        *size = 8;
        return kind::uint;
    case 'f':
        *size = 4;
        return kind::float32;
    case 'd':
    case 'n':
        *size = 8;
        return kind::float64;
    case 's':
        *size = read_int_size(h, fmt, 8);
        return kind::string;
    case 'z':
        return kind::zstring;
    case 'x':
        *size = 1;
        return kind::padding;
    case 'X':
        return kind::align;
    case 'c':
        *size = read_number(fmt, -1);
        if (*size == -1)
            luaL_error(h.L, "missing size for format option 'c'");
        return kind::fixed;
    case ' ':
        return kind::nop;
    case '<':
        h.little = true;
        return kind::nop;
    case '=':
        h.little = host_little;
        return kind::nop;
    case '>':
        h.little = false;
        return kind::nop;
    case '!':
        h.maxalign = read_int_size(h, fmt, native_align);
        return kind::nop;
    default:
        luaL_error(h.L, "invalid format option '%c'", c);
        return kind::nop;
    }
}

// Reads the next option and the padding that must precede it when the data
// so far is `offset` bytes long. 'X' consumes the option that follows it and
// only aligns to its size.
kind next_option(header &h, size_t offset, const char **fmt, int *size, int *padding) {
    kind k = read_option(h, fmt, size);
    int align = *size;
    if (k == kind::align) {
        if (**fmt == '\0' || read_option(h, fmt, &align) == kind::fixed || align == 0)
            luaL_argerror(h.L, 1, "invalid next option for option 'X'");
    }
    *padding = 0;
    if (align > 1 && k != kind::fixed) {
        if (align > h.maxalign)
            align = h.maxalign;
        if ((align & (align - 1)) != 0)
            luaL_argerror(h.L, 1, "format asks for alignment not power of 2");
        *padding = static_cast<int>((align - (offset & (align - 1))) & (align - 1));
    }
    return k;
}

void add_int(luaL_Buffer *b, uint64_t bits, bool little, int size, bool negative) {
    char bytes[max_int_size];
    for (int i = 0; i < size; ++i) {
        char byte = i < 8 ? static_cast<char>(bits >> (8 * i)) : (negative ? '\xff' : '\0');
        bytes[little ? i : size - 1 - i] = byte;
    }
    luaL_addlstring(b, bytes, size);
}

// Copies a float's bytes between host order and the format's order.
void copy_ordered(char *dst, const char *src, int size, bool little) {
    for (int i = 0; i < size; ++i)
        dst[i] = src[little == host_little ? i : size - 1 - i];
}

template <typename T> void add_float(luaL_Buffer *b, T value, bool little) {
    char bytes[sizeof(T)];
    copy_ordered(bytes, reinterpret_cast<const char *>(&value), sizeof(T), little);
    luaL_addlstring(b, bytes, sizeof(T));
}

template <typename T> lua_Number read_float(const char *p, bool little) {
    T value;
    copy_ordered(reinterpret_cast<char *>(&value), p, sizeof(T), little);
    return static_cast<lua_Number>(value);
}

uint64_t check_int_arg(lua_State *L, int arg, bool is_signed, int size) {
    lua_Number n = luaL_checknumber(L, arg);
    uint64_t bits = 0;
    if (!number_to_bits(n, &bits) || (is_signed && n >= 9223372036854775808.0))
        luaL_argerror(L, arg, "number has no integer representation");
    if (is_signed) {
        if (size < 8) {
            int64_t limit = int64_t{1} << (size * 8 - 1);
            int64_t v = static_cast<int64_t>(bits);
            luaL_argcheck(L, -limit <= v && v < limit, arg, "integer overflow");
        }
    } else if (size < 8) {
        luaL_argcheck(L, bits < (uint64_t{1} << (size * 8)), arg, "unsigned overflow");
    }
    return bits;
}

int str_pack(lua_State *L) {
    header h{L};
    const char *fmt = luaL_checkstring(L, 1);
    int arg = 1;
    size_t total = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (*fmt != '\0') {
        int size = 0;
        int padding = 0;
        kind k = next_option(h, total, &fmt, &size, &padding);
        total += padding + size;
        for (; padding > 0; --padding)
            luaL_addchar(&b, '\0');
        ++arg;
        switch (k) {
        case kind::sint:
        case kind::uint: {
            bool is_signed = k == kind::sint;
            uint64_t bits = check_int_arg(L, arg, is_signed, size);
            add_int(&b, bits, h.little, size, is_signed && static_cast<int64_t>(bits) < 0);
            break;
        }
        case kind::float32:
            add_float(&b, static_cast<float>(luaL_checknumber(L, arg)), h.little);
            break;
        case kind::float64:
            add_float(&b, static_cast<double>(luaL_checknumber(L, arg)), h.little);
            break;
        case kind::fixed: {
            size_t len = 0;
            const char *s = luaL_checklstring(L, arg, &len);
            luaL_argcheck(L, len <= static_cast<size_t>(size), arg,
                          "string longer than given size");
            luaL_addlstring(&b, s, len);
            for (size_t i = len; i < static_cast<size_t>(size); ++i)
                luaL_addchar(&b, '\0');
            break;
        }
        case kind::string: {
            size_t len = 0;
            const char *s = luaL_checklstring(L, arg, &len);
            luaL_argcheck(L, size >= 8 || len < (uint64_t{1} << (size * 8)), arg,
                          "string length does not fit in given size");
            add_int(&b, len, h.little, size, false);
            luaL_addlstring(&b, s, len);
            total += len;
            break;
        }
        case kind::zstring: {
            size_t len = 0;
            const char *s = luaL_checklstring(L, arg, &len);
            luaL_argcheck(L, std::strlen(s) == len, arg, "string contains zeros");
            luaL_addlstring(&b, s, len);
            luaL_addchar(&b, '\0');
            total += len + 1;
            break;
        }
        case kind::padding:
            luaL_addchar(&b, '\0');
            --arg;
            break;
        case kind::align:
        case kind::nop:
            --arg;
            break;
        }
    }
    luaL_pushresult(&b);
    return 1;
}

int str_packsize(lua_State *L) {
    header h{L};
    const char *fmt = luaL_checkstring(L, 1);
    size_t total = 0;
    while (*fmt != '\0') {
        int size = 0;
        int padding = 0;
        kind k = next_option(h, total, &fmt, &size, &padding);
        luaL_argcheck(L, k != kind::string && k != kind::zstring, 1, "variable-length format");
        size_t step = static_cast<size_t>(size) + padding;
        luaL_argcheck(L, total <= max_total - step, 1, "format result too large");
        total += step;
    }
    lua_pushinteger(L, static_cast<lua_Integer>(total));
    return 1;
}

// Lua 5.4's rule for a start position: negative counts from the end, and
// anything before the first byte means the first byte.
size_t start_position(lua_Integer pos, size_t len) {
    if (pos > 0)
        return static_cast<size_t>(pos);
    if (pos == 0 || static_cast<size_t>(-pos) > len)
        return 1;
    return len + static_cast<size_t>(pos) + 1;
}

uint64_t read_int(lua_State *L, const char *p, bool little, int size, bool is_signed) {
    uint64_t v = 0;
    int low = size < 8 ? size : 8;
    for (int i = low - 1; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(p[little ? i : size - 1 - i]);
    if (size < 8 && is_signed) {
        uint64_t sign = uint64_t{1} << (size * 8 - 1);
        v = (v ^ sign) - sign;
    }
    if (size > 8) {
        unsigned char fill = is_signed && static_cast<int64_t>(v) < 0 ? 0xff : 0;
        for (int i = 8; i < size; ++i) {
            if (static_cast<unsigned char>(p[little ? i : size - 1 - i]) != fill)
                luaL_error(L, "%d-byte integer does not fit into Lua Integer", size);
        }
    }
    return v;
}

int str_unpack(lua_State *L) {
    header h{L};
    const char *fmt = luaL_checkstring(L, 1);
    size_t len = 0;
    const char *data = luaL_checklstring(L, 2, &len);
    size_t pos = start_position(luaL_optinteger(L, 3, 1), len) - 1;
    luaL_argcheck(L, pos <= len, 3, "initial position out of string");
    int n = 0;
    while (*fmt != '\0') {
        int size = 0;
        int padding = 0;
        kind k = next_option(h, pos, &fmt, &size, &padding);
        luaL_argcheck(L, static_cast<size_t>(padding) + size <= len - pos, 2,
                      "data string too short");
        pos += padding;
        luaL_checkstack(L, 2, "too many results");
        ++n;
        switch (k) {
        case kind::sint:
        case kind::uint: {
            // Fields under 8 bytes are already extended; wider ones wrap
            // to a signed 64-bit value, the Lua integer.
            uint64_t v = read_int(L, data + pos, h.little, size, k == kind::sint);
            lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v)));
            break;
        }
        case kind::float32:
            lua_pushnumber(L, read_float<float>(data + pos, h.little));
            break;
        case kind::float64:
            lua_pushnumber(L, read_float<double>(data + pos, h.little));
            break;
        case kind::fixed:
            lua_pushlstring(L, data + pos, size);
            break;
        case kind::string: {
            uint64_t slen = read_int(L, data + pos, h.little, size, false);
            luaL_argcheck(L, slen <= len - pos - size, 2, "data string too short");
            lua_pushlstring(L, data + pos + size, static_cast<size_t>(slen));
            pos += static_cast<size_t>(slen);
            break;
        }
        case kind::zstring: {
            const void *end = std::memchr(data + pos, '\0', len - pos);
            luaL_argcheck(L, end != nullptr, 2, "unfinished string for format 'z'");
            size_t slen = static_cast<const char *>(end) - (data + pos);
            lua_pushlstring(L, data + pos, slen);
            pos += slen + 1;
            break;
        }
        case kind::padding:
        case kind::align:
        case kind::nop:
            --n;
            break;
        }
        pos += size;
    }
    lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
    return n + 1;
}

} // namespace

void skynet_compat_strpack(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"pack", str_pack},
        {"unpack", str_unpack},
        {"packsize", str_packsize},
        {nullptr, nullptr},
    };
    lua_getglobal(L, "string");
    luaL_setfuncs(L, funcs, 0);
    lua_pop(L, 1);
}
