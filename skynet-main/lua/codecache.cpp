// skynet.codecache: the Lua face of snlua's shared code cache
// (service-src/snlua_cache.cpp), which stands in for upstream's patched-Lua
// proto cache. Like upstream, the mode is "ON" (cache every file), "EXIST"
// (use cached files, add none) or "OFF", and is shared by every service.
#include "modules.h"
#include "snlua_cache.h"

namespace {

const char *const mode_names[] = {"OFF", "EXIST", "ON", nullptr};

int lclear(lua_State *) {
    skynet_codecache_clear();
    return 0;
}

// mode() answers the current mode; mode(m) sets it and answers the previous.
int lmode(lua_State *L) {
    const char *previous = skynet_codecache_getmode();
    if (!lua_isnoneornil(L, 1)) {
        int mode = luaL_checkoption(L, 1, nullptr, mode_names);
        skynet_codecache_mode(mode_names[mode]);
    }
    lua_pushstring(L, previous);
    return 1;
}

} // namespace

// loadfile is whatever the state has when the module is first required:
// in a service, snlua's cache-aware loadfile.
int luaopen_skynet_codecache(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"clear", lclear},
        {"mode", lmode},
        {nullptr, nullptr},
    };
    luaL_newlib(L, funcs);
    lua_getglobal(L, "loadfile");
    lua_setfield(L, -2, "loadfile");
    return 1;
}
