#include "proxy.h"

#include <string>
#include <utility>

namespace sharedata {

namespace {

// Keys in a proxy's environment table, beside its cached child proxies.
const char parent_key = 0;
const char name_key = 0;

struct Root {
    Tree *tree = nullptr;
    Tree *pending = nullptr; // the newer version, once update() handed it over
};

struct Proxy {
    Root *root;       // inside the root proxy's userdata, kept alive by the parent chain
    const Node *node; // nullptr once its key is gone after an update
    bool is_root;
};

struct RootProxy {
    Proxy proxy;
    Root root;
};

Proxy *to_proxy(lua_State *L, int index) {
    return static_cast<Proxy *>(lua_touserdata(L, index));
}

int absolute(lua_State *L, int index) {
    return index < 0 ? lua_gettop(L) + index + 1 : index;
}

void push_scalar(lua_State *L, const Value &v) {
    switch (v.type) {
    case Type::boolean:
        lua_pushboolean(L, v.boolean);
        break;
    case Type::number:
        lua_pushnumber(L, v.number);
        break;
    case Type::string:
        lua_pushlstring(L, v.string, v.length);
        break;
    default:
        lua_pushnil(L);
        break;
    }
}

// "The key [.a.b]": the path from the root, as upstream names it.
std::string path_of(lua_State *L, int proxy) {
    std::string path;
    lua_pushvalue(L, proxy);
    for (;;) {
        lua_getfenv(L, -1);
        lua_pushlightuserdata(L, const_cast<char *>(&name_key));
        lua_rawget(L, -2);
        size_t len = 0;
        const char *s = lua_tolstring(L, -1, &len);
        std::string name = s ? std::string(s, len) : std::string();
        lua_pop(L, 1);
        lua_pushlightuserdata(L, const_cast<char *>(&parent_key));
        lua_rawget(L, -2);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 3);
            return name + path;
        }
        path = "." + name + path;
        lua_replace(L, -3);
        lua_pop(L, 1);
    }
}

void push_root_proxy(lua_State *L, int proxy) {
    lua_pushvalue(L, proxy);
    while (!to_proxy(L, -1)->is_root) {
        lua_getfenv(L, -1);
        lua_pushlightuserdata(L, const_cast<char *>(&parent_key));
        lua_rawget(L, -2);
        lua_replace(L, -3);
        lua_pop(L, 1);
    }
}

const Value *lookup(lua_State *L, const Node &node, int key) {
    switch (lua_type(L, key)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, key, &len);
        return node.find(std::string_view(s, len));
    }
    case LUA_TNUMBER:
        return node.find(static_cast<double>(lua_tonumber(L, key)));
    default:
        return nullptr;
    }
}

void kill_subtree(lua_State *L, int proxy) {
    to_proxy(L, proxy)->node = nullptr;
    lua_getfenv(L, proxy);
    int cache = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, cache) != 0) {
        if (lua_type(L, -2) != LUA_TLIGHTUSERDATA)
            kill_subtree(L, lua_gettop(L));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

// After the root moved to a new tree: each cached child follows its key
// into the new tree, or is gone (with all below it) if that is no table.
void rebind_children(lua_State *L, int proxy) {
    const Node *node = to_proxy(L, proxy)->node;
    lua_getfenv(L, proxy);
    int cache = lua_gettop(L);
    luaL_checkstack(L, 6, "sharedata: proxies too deep");
    lua_pushnil(L);
    while (lua_next(L, cache) != 0) {
        if (lua_type(L, -2) != LUA_TLIGHTUSERDATA) {
            int child = lua_gettop(L);
            const Value *v = lookup(L, *node, child - 1);
            if (v != nullptr && v->type == Type::table) {
                to_proxy(L, child)->node = v->table;
                rebind_children(L, child);
            } else {
                kill_subtree(L, child);
                lua_pushvalue(L, child - 1);
                lua_pushnil(L);
                lua_rawset(L, cache); // clearing a field during lua_next is allowed
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

void apply_pending(lua_State *L, int proxy) {
    push_root_proxy(L, proxy);
    int top = lua_gettop(L);
    auto *rp = static_cast<RootProxy *>(lua_touserdata(L, top));
    Tree *old = rp->root.tree;
    rp->root.tree = rp->root.pending;
    rp->root.pending = nullptr;
    rp->proxy.node = &rp->root.tree->root();
    rebind_children(L, top);
    lua_pop(L, 1);
    Tree::release(old);
}

void refresh(lua_State *L, int proxy) {
    Root *root = to_proxy(L, proxy)->root;
    if (root->tree != nullptr && root->pending != nullptr && root->tree->dirty())
        apply_pending(L, proxy);
}

const Node &node_of(lua_State *L, int proxy) {
    Proxy *p = to_proxy(L, proxy);
    Root *root = p->root;
    if (root->tree == nullptr) // read from a finalizer after the root's own ran
        luaL_error(L, "sharedata proxy read after its root was collected");
    if (root->tree->dirty() && root->pending != nullptr)
        apply_pending(L, proxy);
    if (p->node == nullptr) {
        std::string path = path_of(L, proxy);
        luaL_error(L, "The key [%s] doesn't exist after update", path.c_str());
    }
    return *p->node;
}

// Pushes the child proxy for the key at `key` of `proxy`, cached in the
// proxy's environment. Upvalue 1 of the calling closure: the metatable.
void push_child(lua_State *L, int proxy, int key, const Node *node) {
    lua_getfenv(L, proxy);
    lua_pushvalue(L, key);
    lua_rawget(L, -2);
    if (!lua_isnil(L, -1)) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    auto *child = static_cast<Proxy *>(lua_newuserdata(L, sizeof(Proxy)));
    *child = Proxy{to_proxy(L, proxy)->root, node, false};
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_setmetatable(L, -2);
    lua_createtable(L, 0, 2);
    lua_pushlightuserdata(L, const_cast<char *>(&parent_key));
    lua_pushvalue(L, proxy);
    lua_rawset(L, -3);
    lua_pushlightuserdata(L, const_cast<char *>(&name_key));
    lua_pushvalue(L, key);
    lua_rawset(L, -3);
    lua_setfenv(L, -2);
    lua_pushvalue(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
    lua_remove(L, -2);
}

void push_value(lua_State *L, int proxy, int key, const Value &v) {
    if (v.type == Type::table)
        push_child(L, proxy, key, v.table);
    else
        push_scalar(L, v);
}

int proxy_index(lua_State *L) {
    const Node &node = node_of(L, 1);
    const Value *v = lookup(L, node, 2);
    if (v == nullptr)
        return 0;
    push_value(L, 1, 2, *v);
    return 1;
}

int proxy_len(lua_State *L) {
    lua_pushinteger(L, static_cast<lua_Integer>(node_of(L, 1).array.size()));
    return 1;
}

int proxy_newindex(lua_State *L) {
    std::string path = path_of(L, 1);
    return luaL_error(L, "Error newindex, the key [%s]", path.c_str());
}

int proxy_next(lua_State *L) {
    const Node &node = node_of(L, 1);
    std::optional<size_t> at;
    if (!lua_isnil(L, 2)) {
        Value key;
        if (lua_type(L, 2) == LUA_TNUMBER) {
            key = Value::of(static_cast<double>(lua_tonumber(L, 2)));
        } else if (lua_type(L, 2) == LUA_TSTRING) {
            size_t len;
            key.type = Type::string;
            key.string = lua_tolstring(L, 2, &len);
            key.length = static_cast<uint32_t>(len);
        }
        at = key.type == Type::nil ? std::nullopt : node.position(key);
        if (!at)
            return luaL_error(L, "invalid key to 'next'");
    }
    std::optional<size_t> entry = node.next(at);
    if (!entry)
        return 0;
    lua_settop(L, 1);
    push_scalar(L, node.key_at(*entry));
    push_value(L, 1, 2, node.value_at(*entry));
    return 2;
}

int proxy_pairs(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int proxy_gc(lua_State *L) {
    Proxy *p = to_proxy(L, 1);
    if (!p->is_root)
        return 0;
    Root &root = reinterpret_cast<RootProxy *>(p)->root;
    if (root.pending != nullptr)
        Tree::release(std::exchange(root.pending, nullptr));
    if (root.tree != nullptr)
        Tree::release(std::exchange(root.tree, nullptr));
    return 0;
}

const char metatable_key[] = "skynet.sharedata.proxy";

void push_metatable(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, metatable_key);
    if (!lua_isnil(L, -1))
        return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 8);
    int mt = lua_gettop(L);
    auto set = [&](const char *name, lua_CFunction f) {
        lua_pushvalue(L, mt);
        lua_pushcclosure(L, f, 1);
        lua_setfield(L, mt, name);
    };
    set("__index", proxy_index);
    set("__len", proxy_len);
    set("__newindex", proxy_newindex);
    set("__gc", proxy_gc);
    lua_pushvalue(L, mt);
    lua_pushcclosure(L, proxy_next, 1);
    int next = lua_gettop(L);
    lua_pushvalue(L, mt);
    lua_pushvalue(L, next);
    lua_pushcclosure(L, proxy_pairs, 2);
    lua_setfield(L, mt, "__pairs");
    lua_pop(L, 1);
    // the metamethods trust their first argument to be a proxy: keep them out of reach
    lua_pushliteral(L, "sharedata");
    lua_setfield(L, mt, "__metatable");
    lua_pushvalue(L, mt);
    lua_setfield(L, LUA_REGISTRYINDEX, metatable_key);
}

} // namespace

void open_proxy_metatable(lua_State *L) {
    push_metatable(L);
    lua_pop(L, 1);
}

bool is_proxy(lua_State *L, int index) {
    if (lua_type(L, index) != LUA_TUSERDATA || !lua_getmetatable(L, index))
        return false;
    lua_getfield(L, LUA_REGISTRYINDEX, metatable_key);
    bool yes = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return yes;
}

void push_root(lua_State *L, Tree *tree) {
    push_metatable(L);
    auto *rp = static_cast<RootProxy *>(lua_newuserdata(L, sizeof(RootProxy)));
    tree->retain();
    rp->root = Root{tree, nullptr};
    rp->proxy = Proxy{&rp->root, &tree->root(), true};
    lua_pushvalue(L, -2);
    lua_setmetatable(L, -2);
    lua_createtable(L, 0, 1);
    lua_pushlightuserdata(L, const_cast<char *>(&name_key));
    lua_pushliteral(L, "");
    lua_rawset(L, -3);
    lua_setfenv(L, -2);
    lua_remove(L, -2);
}

void set_pending(lua_State *L, int root, Tree *tree) {
    Proxy *p = to_proxy(L, root);
    luaL_argcheck(L, is_proxy(L, root) && p->is_root, root, "sharedata root expected");
    tree->retain();
    if (p->root->pending != nullptr)
        Tree::release(p->root->pending);
    p->root->pending = tree;
}

Tree *current_tree(lua_State *L, int proxy) {
    proxy = absolute(L, proxy);
    luaL_argcheck(L, is_proxy(L, proxy), proxy, "sharedata proxy expected");
    refresh(L, proxy);
    return to_proxy(L, proxy)->root->tree;
}

const Node &current_node(lua_State *L, int proxy) {
    proxy = absolute(L, proxy);
    luaL_argcheck(L, is_proxy(L, proxy), proxy, "sharedata proxy expected");
    return node_of(L, proxy);
}

} // namespace sharedata
