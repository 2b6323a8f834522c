// skynet.memory: upstream's per-service C memory accounting exists only in
// its jemalloc build; this node uses the libc allocator, so the C-side
// figures are zero and the jemalloc controls log "No jemalloc", as an
// upstream build without jemalloc does. current() reports the calling
// service's Lua heap instead, the one figure we do know.
#include "compat.h"
#include "modules.h"

namespace {

int lzero(lua_State *L) {
    lua_pushinteger(L, 0);
    return 1;
}

int linfo(lua_State *L) {
    lua_newtable(L);
    return 1;
}

int lcurrent(lua_State *L) {
    auto kbytes = static_cast<lua_Integer>(lua_gc(L, LUA_GCCOUNT, 0));
    auto bytes = static_cast<lua_Integer>(lua_gc(L, LUA_GCCOUNTB, 0));
    lua_pushinteger(L, kbytes * 1024 + bytes);
    return 1;
}

int ldump(lua_State *L) {
    skynet_lua_log(L, "dump all service mem:");
    skynet_lua_log(L, "+total: 0kb");
    return 0;
}

int ldumpinfo(lua_State *L) {
    skynet_lua_log(L, "No jemalloc");
    return 0;
}

int ljestat(lua_State *L) {
    const char *const names[] = {"stats.allocated", "stats.resident", "stats.retained",
                                 "stats.mapped", "stats.active"};
    skynet_lua_log(L, "No jemalloc : jestat");
    lua_createtable(L, 0, 5);
    for (const char *name : names) {
        lua_pushinteger(L, 0);
        lua_setfield(L, -2, name);
    }
    return 1;
}

int lmallctl(lua_State *L) {
    skynet_lua_log(L, "No jemalloc : mallctl_int64 %s.", luaL_checkstring(L, 1));
    lua_pushinteger(L, 0);
    return 1;
}

int ldumpheap(lua_State *L) {
    skynet_lua_log(L, "No jemalloc : mallctl_cmd prof.dump.");
    return 0;
}

int lprofactive(lua_State *L) {
    skynet_lua_log(L, "No jemalloc : mallctl_bool prof.active.");
    lua_pushboolean(L, 0);
    return 1;
}

} // namespace

int luaopen_skynet_memory(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"total", lzero},        {"block", lzero},
        {"info", linfo},         {"current", lcurrent},
        {"dump", ldump},         {"dumpinfo", ldumpinfo},
        {"jestat", ljestat},     {"mallctl", lmallctl},
        {"dumpheap", ldumpheap}, {"profactive", lprofactive},
        {nullptr, nullptr},
    };
    luaL_newlib(L, funcs);
    return 1;
}
