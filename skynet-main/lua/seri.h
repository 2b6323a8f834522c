// lua-seri: skynet.pack / skynet.unpack, byte-compatible with upstream.
#ifndef SKYNET_LUA_SERI_H
#define SKYNET_LUA_SERI_H

#include <lua.hpp>

// ... -> lightuserdata (skynet_malloc'd buffer), size
int luaseri_pack(lua_State *L);
// msg, sz | string -> ...   (raises a Lua error on a malformed stream)
int luaseri_unpack(lua_State *L);

#endif
