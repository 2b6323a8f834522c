// libFuzzer target: skynet.unpack on arbitrary bytes. A malformed stream must
// raise a Lua error; anything else (crash, sanitizer report) is a finding.
#include "lua/seri.h"

#include <cstddef>
#include <cstdint>

namespace {

lua_State *fuzz_state() {
    static lua_State *L = [] {
        lua_State *s = luaL_newstate();
        luaL_openlibs(s);
        return s;
    }();
    return L;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lua_State *L = fuzz_state();
    lua_settop(L, 0);
    lua_pushcfunction(L, luaseri_unpack);
    lua_pushlstring(L, reinterpret_cast<const char *>(data), size);
    lua_pcall(L, 1, LUA_MULTRET, 0);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
