// Placeholder until the module lands.
#include "seri.h"

int luaseri_pack(lua_State *L) { return luaL_error(L, "seri is not built yet"); }
int luaseri_unpack(lua_State *L) { return luaL_error(L, "seri is not built yet"); }
