// Placeholder until the module lands.
#include "modules.h"

int luaopen_skynet_codecache(lua_State *L) { return luaL_error(L, "skynet.codecache is not built yet"); }
