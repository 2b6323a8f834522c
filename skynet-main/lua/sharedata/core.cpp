// skynet.sharedata.core: native trees handed between services as light
// userdata (the owner service counts references), and proxies to read them.
#include "build.h"
#include "modules.h"
#include "proxy.h"

namespace {

using sharedata::Tree;

Tree *check_tree(lua_State *L, int index) {
    luaL_checktype(L, index, LUA_TLIGHTUSERDATA);
    return static_cast<Tree *>(lua_touserdata(L, index));
}

int lnew(lua_State *L) {
    std::unique_ptr<Tree> tree = sharedata::build(L, 1);
    lua_pushlightuserdata(L, tree.release());
    return 1;
}

int lincref(lua_State *L) {
    check_tree(L, 1)->retain();
    return 0;
}

// Drops a reference; the last one frees the tree. Returns whether it did.
int ldecref(lua_State *L) {
    lua_pushboolean(L, Tree::release(check_tree(L, 1)));
    return 1;
}

int lgetref(lua_State *L) {
    lua_pushinteger(L, check_tree(L, 1)->refs());
    return 1;
}

int lmarkdirty(lua_State *L) {
    check_tree(L, 1)->mark_dirty();
    return 0;
}

int lisdirty(lua_State *L) {
    lua_pushboolean(L, check_tree(L, 1)->dirty());
    return 1;
}

int lbox(lua_State *L) {
    sharedata::push_root(L, check_tree(L, 1));
    return 1;
}

int lupdate(lua_State *L) {
    sharedata::set_pending(L, 1, check_tree(L, 2));
    return 0;
}

// The tree a proxy reads, after applying any pending update.
int ltree(lua_State *L) {
    lua_pushlightuserdata(L, sharedata::current_tree(L, 1));
    return 1;
}

int lflush(lua_State *L) {
    sharedata::current_tree(L, 1);
    return 0;
}

int lisproxy(lua_State *L) {
    lua_pushboolean(L, sharedata::is_proxy(L, 1));
    return 1;
}

// copy(tree | proxy, key...): a plain Lua copy of what the keys lead to.
int lcopy(lua_State *L) {
    const sharedata::Node *node = lua_type(L, 1) == LUA_TLIGHTUSERDATA
                                      ? &check_tree(L, 1)->root()
                                      : &sharedata::current_node(L, 1);
    sharedata::Value v = sharedata::Builder::of(node);
    int n = lua_gettop(L);
    for (int i = 2; i <= n; ++i) {
        if (v.type != sharedata::Type::table)
            return 0;
        const sharedata::Value *child = nullptr;
        if (lua_type(L, i) == LUA_TSTRING) {
            size_t len;
            const char *s = lua_tolstring(L, i, &len);
            child = v.table->find(std::string_view(s, len));
        } else if (lua_type(L, i) == LUA_TNUMBER) {
            child = v.table->find(static_cast<double>(lua_tonumber(L, i)));
        }
        if (child == nullptr)
            return 0;
        v = *child;
    }
    sharedata::push_copy(L, v);
    return 1;
}

// Size of one tree, or (with no argument) of every tree alive.
int lstat(lua_State *L) {
    if (lua_isnoneornil(L, 1)) {
        lua_pushinteger(L, static_cast<lua_Integer>(Tree::live_trees()));
        lua_pushinteger(L, static_cast<lua_Integer>(Tree::live_bytes()));
        return 2;
    }
    lua_pushinteger(L, static_cast<lua_Integer>(check_tree(L, 1)->bytes()));
    return 1;
}

} // namespace

extern "C" int luaopen_skynet_sharedata_core(lua_State *L) {
    const luaL_Reg functions[] = {
        {"new", lnew},       {"incref", lincref},       {"decref", ldecref},
        {"getref", lgetref}, {"markdirty", lmarkdirty}, {"isdirty", lisdirty},
        {"box", lbox},       {"update", lupdate},       {"tree", ltree},
        {"flush", lflush},   {"isproxy", lisproxy},     {"copy", lcopy},
        {"stat", lstat},     {nullptr, nullptr},
    };
    sharedata::open_proxy_metatable(L);
    lua_createtable(L, 0, sizeof(functions) / sizeof(functions[0]));
    luaL_register(L, nullptr, functions);
    return 1;
}
