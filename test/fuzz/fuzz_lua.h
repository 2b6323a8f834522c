// Shared by the fuzz targets that drive a decoder through its Lua API. Each
// input gets a fresh LuaJIT state, closed afterwards: LeakSanitizer cannot see
// what Lua values hold (LuaJIT's GC64 values carry their type in a pointer's
// top bits), so only a state that was closed tells a real leak from a block a
// Lua value still owns. A Lua error is the decoder refusing input, which is
// fine; a crash or a sanitizer report is a finding.
#ifndef SKYNET_FUZZ_LUA_H
#define SKYNET_FUZZ_LUA_H

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace fuzz {

// Runs `driver` (a chunk returning function(data)) on data, with `module`
// opened by `open` in package.preload.
inline void run_driver(const char *module, lua_CFunction open, const char *driver,
                       const uint8_t *data, size_t size) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, open);
    lua_setfield(L, -2, module);
    lua_pop(L, 2);
    if (luaL_loadstring(L, driver) != 0 || lua_pcall(L, 0, 1, 0) != 0)
        abort(); // the driver itself is broken: not a finding
    lua_pushlstring(L, reinterpret_cast<const char *>(data), size);
    lua_pcall(L, 1, 0, 0);
    lua_close(L);
}

} // namespace fuzz

#endif
