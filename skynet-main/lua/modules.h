// The Lua C modules built into the binary. Every snlua state gets them in
// package.preload, so `require "skynet.core"` needs no .so on disk.
#ifndef SKYNET_LUA_MODULES_H
#define SKYNET_LUA_MODULES_H

#include <lua.hpp>

extern "C" {
int luaopen_skynet_core(lua_State *L);
int luaopen_skynet_profile(lua_State *L);
int luaopen_skynet_codecache(lua_State *L);
int luaopen_skynet_memory(lua_State *L);
int luaopen_skynet_debugchannel(lua_State *L);
int luaopen_skynet_socketdriver(lua_State *L);
int luaopen_skynet_netpack(lua_State *L);
int luaopen_skynet_cluster_core(lua_State *L);

// service library
int luaopen_skynet_multicast_core(lua_State *L);

// Lua 5.4 syntax (declared in lua54/lua54.h)
int luaopen_skynet_lua54(lua_State *L);
int luaopen_skynet_sharedata_core(lua_State *L);
int luaopen_skynet_stm(lua_State *L);
int luaopen_skynet_datasheet_core(lua_State *L);

// protocols
int luaopen_skynet_crypt(lua_State *L);
int luaopen_client_crypt(lua_State *L);
int luaopen_md5(lua_State *L);
int luaopen_ltls_c(lua_State *L);
int luaopen_ltls_init_c(lua_State *L);
int luaopen_http_websocket_core(lua_State *L);
int luaopen_sproto_core(lua_State *L);
int luaopen_sproto_parser(lua_State *L);

// databases
int luaopen_bson(lua_State *L);
int luaopen_skynet_mongo_driver(lua_State *L);
}

// Register every built-in module in package.preload of L.
void skynet_lua_preload(lua_State *L);

// Install the Lua 5.2+ shims (table.pack, coroutine.running, __gc on tables, ...)
// into L. Must run before any other Lua code in the state.
void skynet_lua_compat(lua_State *L);

#endif
