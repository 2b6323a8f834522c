// Placeholder until the module lands.
#include "modules.h"

int luaopen_skynet_cluster_core(lua_State *L) { return luaL_error(L, "skynet.cluster.core is not built yet"); }
