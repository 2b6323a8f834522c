// skynet.datasheet.core: datasheet blobs (builder.compile) and the trees
// built from them. Readers use the sharedata proxies of skynet.sharedata.core.
#include "blob.h"
#include "build.h"
#include "modules.h"

namespace {

using sharedata::Tree;

// dump(table) -> blob
int ldump(lua_State *L) {
    std::unique_ptr<Tree> tree = sharedata::build(L, 1);
    std::string blob = sharedata::encode(*tree);
    lua_pushlstring(L, blob.data(), blob.size());
    return 1;
}

std::unique_ptr<Tree> check_blob(lua_State *L, int index) {
    size_t len;
    const char *s = luaL_checklstring(L, index, &len);
    std::string error;
    std::unique_ptr<Tree> tree = sharedata::decode({s, len}, error);
    if (!tree)
        luaL_error(L, "%s", error.c_str());
    return tree;
}

// undump(blob) -> a plain Lua table
int lundump(lua_State *L) {
    std::unique_ptr<Tree> tree = check_blob(L, 1);
    sharedata::push_copy(L, sharedata::Builder::of(&tree->root()));
    return 1;
}

// load(blob | table) -> tree (light userdata, one reference)
int lload(lua_State *L) {
    std::unique_ptr<Tree> tree =
        lua_type(L, 1) == LUA_TTABLE ? sharedata::build(L, 1) : check_blob(L, 1);
    lua_pushlightuserdata(L, tree.release());
    return 1;
}

} // namespace

extern "C" int luaopen_skynet_datasheet_core(lua_State *L) {
    const luaL_Reg functions[] = {
        {"dump", ldump},
        {"undump", lundump},
        {"load", lload},
        {nullptr, nullptr},
    };
    lua_createtable(L, 0, 3);
    luaL_register(L, nullptr, functions);
    return 1;
}
