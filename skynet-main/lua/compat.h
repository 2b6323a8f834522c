// Pieces shared by the Lua 5.3/5.4 shims (compat.cpp, strpack.cpp, utf8.cpp)
// and the modules that re-implement coroutine functions (profile.cpp).
#ifndef SKYNET_LUA_COMPAT_H
#define SKYNET_LUA_COMPAT_H

#include <lua.hpp>

#include <cmath>
#include <cstdint>

// What coroutine.status would say about co, seen from L.
enum class costatus { running, suspended, normal, dead };

inline costatus coroutine_status(lua_State *L, lua_State *co) {
    if (L == co)
        return costatus::running;
    switch (lua_status(co)) {
    case LUA_YIELD:
        return costatus::suspended;
    case 0: {
        lua_Debug ar;
        if (lua_getstack(co, 0, &ar) > 0)
            return costatus::normal; // it resumed someone and waits
        // Not started yet: the body is still on its stack.
        return lua_gettop(co) == 0 ? costatus::dead : costatus::suspended;
    }
    default:
        return costatus::dead; // stopped by an error
    }
}

// LuaJIT numbers are doubles; the Lua 5.3 integer functions accept those that
// hold an integral value. The range is [-2^63, 2^64): negative values keep
// their two's complement bits, values past 2^63 are unsigned.
inline bool number_to_bits(lua_Number n, uint64_t *bits) {
    constexpr lua_Number two63 = 9223372036854775808.0;
    if (!(n >= -two63 && n < 2 * two63) || std::floor(n) != n)
        return false; // NaN fails the range test too
    if (n < two63)
        *bits = static_cast<uint64_t>(static_cast<int64_t>(n));
    else
        *bits = static_cast<uint64_t>(n);
    return true;
}

// The integer rule of the Lua 5.4 operators (lua54/helpers.lua.h) and of
// math.type/tointeger/ult: an integral double in [-2^63, 2^63], where 2^63 is
// math.maxinteger's double and stands for 2^63-1.
inline bool number_to_integer(lua_Number n, int64_t *i) {
    constexpr lua_Number two63 = 9223372036854775808.0;
    if (!(n >= -two63 && n <= two63) || std::floor(n) != n)
        return false;
    *i = n == two63 ? INT64_MAX : static_cast<int64_t>(n);
    return true;
}

// Logs through skynet_error as the service that owns L, or to stderr when L
// belongs to no service (unit tests, tools: the runtime may not exist).
void skynet_lua_log(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// math, io, os and bit as stand-ins that open the real library on first use
// (before skynet_lua_compat, which then leaves math's additions to that time).
void skynet_lua_lazy_libraries(lua_State *L);

void skynet_compat_strpack(lua_State *L); // string.pack, string.unpack, string.packsize
void skynet_compat_utf8(lua_State *L);    // the utf8 table

#endif
