// Read-only views of a native tree inside one Lua state. A proxy is a
// userdata (so `#` works on LuaJIT) with __index, __len and __pairs. Every
// proxy of a tree hangs below one root proxy that holds the tree; when the
// tree is marked dirty and the newer tree has been handed to the root
// (update), the next read through any proxy moves them all to the new tree.
#pragma once

#include "tree.h"

#include <lua.hpp>

namespace sharedata {

// Pushes a root proxy of `tree`, taking one reference to it.
void push_root(lua_State *L, Tree *tree);

// Hands the newer version of the root's tree (one reference taken).
void set_pending(lua_State *L, int root, Tree *tree);

// The tree a proxy reads now (after applying a pending update).
Tree *current_tree(lua_State *L, int proxy);

// The node a proxy reads now, or a Lua error if its key is gone.
const Node &current_node(lua_State *L, int proxy);

// Is the value at `index` a proxy?
bool is_proxy(lua_State *L, int index);

void open_proxy_metatable(lua_State *L);

} // namespace sharedata
