// Placeholder until the shims land.
#include "modules.h"

void skynet_lua_compat(lua_State *) {}
