#include "modules.h"

namespace {

const luaL_Reg builtin[] = {
    {"skynet.core", luaopen_skynet_core},
    {"skynet.profile", luaopen_skynet_profile},
    {"skynet.codecache", luaopen_skynet_codecache},
    {"skynet.memory", luaopen_skynet_memory},
    {"skynet.debugchannel", luaopen_skynet_debugchannel},
    {"skynet.socketdriver", luaopen_skynet_socketdriver},
    {"skynet.netpack", luaopen_skynet_netpack},
    {"skynet.cluster.core", luaopen_skynet_cluster_core},

    // service library: harbor, multicast, snax, sharedata, sharetable, stm, datasheet
    {"skynet.sharedata.core", luaopen_skynet_sharedata_core},
    {"skynet.stm", luaopen_skynet_stm},
    {"skynet.datasheet.core", luaopen_skynet_datasheet_core},

    // protocols: crypt, md5, sproto, tls

    // databases: bson, mongo

    {nullptr, nullptr},
};

} // namespace

void skynet_lua_preload(lua_State *L) {
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    for (const luaL_Reg *m = builtin; m->name; ++m) {
        lua_pushcfunction(L, m->func);
        lua_setfield(L, -2, m->name);
    }
    lua_pop(L, 2);
}
