// Shared by the fuzz targets of decoders written in Lua (redis RESP, MySQL
// packets): one LuaJIT state with the compat shims and lualib/ on its path,
// and a sock object over the fuzz input (read(n), readline(sep) raising at
// the end of the input, as a closed connection does). A Lua error is the
// expected answer to bad input; a crash or sanitizer report is a finding.
#ifndef SKYNET_FUZZ_LUA_DECODER_H
#define SKYNET_FUZZ_LUA_DECODER_H

#include "lua/modules.h"

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

// libFuzzer sees no compiled edges in Lua code: a line hook feeds it the
// Lua edges instead (previous line -> line, per chunk) as extra counters,
// so the search is guided by the decoder's own branches.
extern "C" {
__attribute__((section("__libfuzzer_extra_counters"))) inline uint8_t lua_edge_counters[1 << 16];
}

namespace fuzz {

inline void line_hook(lua_State *L, lua_Debug *ar) {
    static uintptr_t previous = 0;
    if (!lua_getinfo(L, "S", ar))
        return;
    // the source string is interned: its address names the chunk
    uintptr_t here = reinterpret_cast<uintptr_t>(ar->source) * 31 + static_cast<uintptr_t>(ar->currentline);
    uintptr_t edge = (previous * 0x9E3779B97F4A7C15ull) ^ here;
    uint8_t &counter = lua_edge_counters[(edge ^ (edge >> 16)) & ((1 << 16) - 1)];
    if (counter < 255)
        ++counter;
    previous = here;
}

// lualib/ of this checkout: $SKYNET_ROOT, else the working directory
// (test/fuzz/run.sh runs from the repository root).
inline std::string lualib_path() {
    const char *root = std::getenv("SKYNET_ROOT");
    std::string base = root ? std::string(root) + "/" : std::string();
    return base + "lualib/?.lua";
}

constexpr const char *sock_chunk = R"(
local decode = ...
return function(data)
	local pos = 1
	local sock = {}
	function sock:read(n)
		if n < 0 or pos + n - 1 > #data then
			error("end of input", 0)
		end
		local s = data:sub(pos, pos + n - 1)
		pos = pos + n
		return s
	end
	function sock:readline(sep)
		local e = data:find(sep, pos, true)
		if not e then
			error("end of input", 0)
		end
		local s = data:sub(pos, e - 1)
		pos = e + #sep
		return s
	end
	decode(sock)
end
)";

// A state whose registry holds, under "fuzz", a function(data) that runs
// decoder_chunk's result, a function(sock), on a sock over data; it decodes
// until the input ends (an error).
inline lua_State *make_state(const char *decoder_chunk) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    skynet_lua_compat(L);
    lua_getglobal(L, "package");
    std::string path = lualib_path();
    lua_pushlstring(L, path.data(), path.size());
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    if (luaL_loadstring(L, decoder_chunk) || lua_pcall(L, 0, 1, 0) ||
        luaL_loadstring(L, sock_chunk)) {
        std::fprintf(stderr, "fuzz set-up: %s\n", lua_tostring(L, -1));
        std::abort();
    }
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0)) {
        std::fprintf(stderr, "fuzz set-up: %s\n", lua_tostring(L, -1));
        std::abort();
    }
    lua_setfield(L, LUA_REGISTRYINDEX, "fuzz");
    lua_sethook(L, line_hook, LUA_MASKLINE, 0);
    return L;
}

inline void run(lua_State *L, const uint8_t *data, size_t size) {
    lua_settop(L, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, "fuzz");
    lua_pushlstring(L, reinterpret_cast<const char *>(data), size);
    if (lua_pcall(L, 1, 0, 0) && std::getenv("FUZZ_DEBUG"))
        std::fprintf(stderr, "decoder error: %s\n", lua_tostring(L, -1));
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
}

} // namespace fuzz

#endif
