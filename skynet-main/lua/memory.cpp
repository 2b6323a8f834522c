// Placeholder until the module lands.
#include "modules.h"

int luaopen_skynet_memory(lua_State *L) { return luaL_error(L, "skynet.memory is not built yet"); }
