// Placeholder until the module lands.
#include "modules.h"

int luaopen_skynet_debugchannel(lua_State *L) { return luaL_error(L, "skynet.debugchannel is not built yet"); }
