// libFuzzer target: skynet.dns's response decoder (Lua) on arbitrary UDP
// payloads, in a LuaJIT state with the skynet modules stubbed out. Lua
// errors are how it refuses malformed packets; a crash, a sanitizer report
// or a hang is a finding. Run from the repository root.
#include "lua_coverage.h"

#include "lua/compat.h"
#include "lua/modules.h"

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

const char *kHarness = R"lua(
package.path = "lualib/?.lua"
jit.off()
package.loaded["skynet"] = { now = function() return 0 end, error = function() end }
package.loaded["skynet.socket"] = {}
local dns = require "skynet.dns"
return function(packet)
	local ok, tid, name, found = pcall(dns._decode_response, packet)
	if ok then
		assert(type(tid) == "number" and type(name) == "string" and type(found) == "table")
	end
end
)lua";

lua_State *fuzz_state() {
    static lua_State *L = [] {
        lua_State *s = luaL_newstate();
        luaL_openlibs(s);
        skynet_lua_compat(s); // string.pack / string.unpack
        if (luaL_loadstring(s, kHarness) != 0 || lua_pcall(s, 0, 1, 0) != 0) {
            std::fprintf(stderr, "dns_response harness: %s\n", lua_tostring(s, -1));
            std::abort();
        }
        lua_setfield(s, LUA_REGISTRYINDEX, "dns_response_fuzz");
        lua_coverage::attach(s);
        return s;
    }();
    return L;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lua_State *L = fuzz_state();
    lua_coverage::next_input();
    lua_getfield(L, LUA_REGISTRYINDEX, "dns_response_fuzz");
    lua_pushlstring(L, reinterpret_cast<const char *>(data), size);
    if (lua_pcall(L, 1, 0, 0) != 0) {
        // the decoder returned something that is not a decoded answer
        std::fprintf(stderr, "dns_response: %s\n", lua_tostring(L, -1));
        std::abort();
    }
    lua_settop(L, 0);
    static unsigned runs = 0;
    if (++runs % 256 == 0)
        lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
