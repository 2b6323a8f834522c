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

    // Lua 5.4 syntax
    {"skynet.lua54", luaopen_skynet_lua54},

    // service library: harbor, multicast, snax, sharedata, sharetable, stm, datasheet
    {"skynet.multicast.core", luaopen_skynet_multicast_core},
    {"skynet.sharedata.core", luaopen_skynet_sharedata_core},
    {"skynet.stm", luaopen_skynet_stm},
    {"skynet.datasheet.core", luaopen_skynet_datasheet_core},

    // protocols: crypt, md5, sproto, tls
    {"skynet.crypt", luaopen_skynet_crypt},
    {"client.crypt", luaopen_client_crypt},
    {"md5", luaopen_md5},
    {"ltls.c", luaopen_ltls_c},
    {"ltls.init.c", luaopen_ltls_init_c},
    {"http.websocket.core", luaopen_http_websocket_core},
    {"sproto.core", luaopen_sproto_core},
    {"sproto.parser", luaopen_sproto_parser},

    // databases: bson, mongo
    {"bson", luaopen_bson},
    {"skynet.mongo.driver", luaopen_skynet_mongo_driver},

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
