// Code cache shared by every Lua state: a file is read and compiled once,
// later states load its bytecode.
#ifndef SKYNET_SNLUA_CACHE_H
#define SKYNET_SNLUA_CACHE_H

#include <lua.hpp>

// Like luaL_loadfile (Lua 5.4 source translated, see lua54.h), through the cache. Pushes the chunk (0) or an error message.
int skynet_codecache_loadfile(lua_State *L, const char *filename);
// Replace `loadfile`, `dofile` and the Lua-file searcher of `require` with cached versions.
void skynet_codecache_install(lua_State *L);
// Forget every cached file (skynet.codecache.clear, debug console clearcache).
void skynet_codecache_clear();
// "ON" (cache), "EXIST" (reuse cached files, don't add), "OFF" (bypass).
void skynet_codecache_mode(const char *mode);
const char *skynet_codecache_getmode();

#endif
