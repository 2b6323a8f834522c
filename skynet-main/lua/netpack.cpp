// Placeholder until the module lands.
#include "modules.h"

int luaopen_skynet_netpack(lua_State *L) { return luaL_error(L, "skynet.netpack is not built yet"); }
