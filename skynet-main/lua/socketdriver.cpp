// Placeholder until the module lands.
#include "modules.h"

int luaopen_skynet_socketdriver(lua_State *L) { return luaL_error(L, "skynet.socketdriver is not built yet"); }
