// libFuzzer target: skynet.crypt's decoders on arbitrary bytes, the ones a
// client's handshake feeds (base64decode, hexdecode, desdecode with each
// padding mode). Bad input must raise a Lua error; a crash or sanitizer report
// is a finding. The first input byte picks the decoder, the next 8 are the
// DES key.
#include "lua/modules.h"

#include <cstddef>
#include <cstdint>

namespace {

lua_State *fuzz_state() {
    static lua_State *L = [] {
        lua_State *s = luaL_newstate();
        luaL_openlibs(s);
        lua_pushcfunction(s, luaopen_skynet_crypt);
        lua_call(s, 0, 1);
        lua_setglobal(s, "crypt");
        return s;
    }();
    return L;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    lua_State *L = fuzz_state();
    lua_settop(L, 0);
    lua_getglobal(L, "crypt");
    const char *text = reinterpret_cast<const char *>(data + 1);
    size_t len = size - 1;
    int nargs = 1;
    switch (data[0] % 4) {
    case 0:
        lua_getfield(L, 1, "base64decode");
        lua_pushlstring(L, text, len);
        break;
    case 1:
        lua_getfield(L, 1, "hexdecode");
        lua_pushlstring(L, text, len);
        break;
    default: {
        if (len < 8)
            return 0;
        lua_getfield(L, 1, "desdecode");
        lua_pushlstring(L, text, 8);
        lua_pushlstring(L, text + 8, len - 8);
        lua_pushinteger(L, data[0] % 4 - 2); // iso7816_4, pkcs7
        nargs = 3;
        break;
    }
    }
    lua_pcall(L, nargs, 1, 0);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
