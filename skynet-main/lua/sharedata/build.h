// Building a native tree from a Lua table, and copying one back.
#pragma once

#include "tree.h"

#include <lua.hpp>

namespace sharedata {

// The tree of the table at `index`; raises a Lua error on keys or values the
// store cannot hold.
std::unique_ptr<Tree> build(lua_State *L, int index);

// Pushes a plain Lua copy of a stored value (tables copied deeply).
void push_copy(lua_State *L, const Value &v);

} // namespace sharedata
