// Placeholder until the module lands.
#include "modules.h"

int luaopen_skynet_profile(lua_State *L) { return luaL_error(L, "skynet.profile is not built yet"); }
