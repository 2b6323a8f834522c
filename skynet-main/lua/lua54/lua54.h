// Lua 5.4 source on LuaJIT: the loaders every path by which source enters a
// Lua state goes through (snlua's code cache, the require searcher, load,
// loadstring, loadfile, dofile). Source without 5.4-only syntax is loaded as
// it is; other source is translated first (translate.h).
#ifndef SKYNET_LUA54_H
#define SKYNET_LUA54_H

#include <lua.hpp>

#include <cstddef>

// luaL_loadbufferx that accepts Lua 5.4 source. mode may be nullptr ("bt").
// *translated (if given) tells whether the chunk was rewritten, i.e. needs
// the helpers when its bytecode is loaded into another state.
int skynet_lua54_loadbuffer(lua_State *L, const char *buf, size_t sz, const char *chunkname,
                            const char *mode = nullptr, bool *translated = nullptr);

// luaL_loadfile that accepts Lua 5.4 source (same messages, #! line skipped).
int skynet_lua54_loadfile(lua_State *L, const char *filename, bool *translated = nullptr);

// Makes sure L has the operators' runtime that translated chunks reach.
void skynet_lua54_helpers(lua_State *L);

// Replaces the global load and loadstring with translating versions.
void skynet_lua54_install(lua_State *L);

extern "C" int luaopen_skynet_lua54(lua_State *L);

#endif
