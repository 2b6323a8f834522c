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
int luaopen_skynet_sharedata_core(lua_State *L);
int luaopen_skynet_stm(lua_State *L);
int luaopen_skynet_datasheet_core(lua_State *L);

// protocols

// databases
}

// Register every built-in module in package.preload of L.
void skynet_lua_preload(lua_State *L);

// Install the Lua 5.2+ shims (table.pack, coroutine.running, __gc on tables, ...)
// into L. Must run before any other Lua code in the state.
void skynet_lua_compat(lua_State *L);

#endif
