// libFuzzer target: bson.decode on arbitrary bytes (what a mongo reply
// carries). A malformed document must raise a Lua error; anything else
// (crash, sanitizer report) is a finding.
#include "lua/modules.h"

#include <cstddef>
#include <cstdint>

namespace {

lua_State *fuzz_state() {
    static lua_State *L = [] {
        lua_State *s = luaL_newstate();
        luaL_openlibs(s);
        luaopen_bson(s);
        lua_getfield(s, -1, "decode");
        lua_setglobal(s, "bson_decode");
        lua_settop(s, 0);
        return s;
    }();
    return L;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lua_State *L = fuzz_state();
    lua_settop(L, 0);
    lua_getglobal(L, "bson_decode");
    lua_pushlstring(L, reinterpret_cast<const char *>(data), size);
    lua_pcall(L, 1, 1, 0);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
