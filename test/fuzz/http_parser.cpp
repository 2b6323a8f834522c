// libFuzzer target: the HTTP/1.x parsers of lualib/http (http.internal and
// http.httpd, Lua) in a LuaJIT state. The input is a request, then the same
// bytes as a response, handed out in pieces whose size the first byte picks,
// ending in a "connection closed" error as a socket would. Lua errors are
// expected for malformed input; a crash, a sanitizer report or a hang is a
// finding. Run from the repository root (lualib/ is loaded from there).
// Coverage comes from lua_coverage.h (a line hook).
#include "lua_coverage.h"

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

const char *kHarness = R"lua(
package.path = "lualib/?.lua"
jit.off() -- hooks only see interpreted code
local httpd = require "http.httpd"
local internal = require "http.internal"

local function source(data)
	local step = (data:byte(1) or 0) % 61 + 1
	local pos = 2
	local function read(sz)
		if pos > #data then
			error "closed"
		end
		local s = data:sub(pos, pos + (sz or step) - 1)
		pos = pos + #s
		if sz and #s < sz then
			error "closed"
		end
		return s
	end
	local function readall()
		local s = data:sub(pos)
		pos = #data + 1
		return s
	end
	return { read = read, readall = readall }
end

return function(data)
	httpd.read_request(source(data).read, 65536)
	local io = source(data)
	local ok, code, rest, header = pcall(internal.request, {
		read = io.read,
		readall = io.readall,
		write = function() end,
	}, "GET", "host", "/", nil, nil, nil)
	if ok then
		pcall(internal.response, io, code, rest, header)
	end
	io = source(data)
	ok, code, rest, header = pcall(internal.request, {
		read = io.read,
		write = function() end,
	}, "GET", "host", "/", nil, nil, nil)
	if ok then
		local got, stream = pcall(internal.response_stream, io, code, rest, header)
		if got then
			for _ = 1, 10000 do
				if stream:padding() == nil then
					break
				end
			end
		end
	end
end
)lua";

lua_State *fuzz_state() {
    static lua_State *L = [] {
        lua_State *s = luaL_newstate();
        luaL_openlibs(s);
        if (luaL_loadstring(s, kHarness) != 0 || lua_pcall(s, 0, 1, 0) != 0) {
            std::fprintf(stderr, "http_parser harness: %s\n", lua_tostring(s, -1));
            std::abort();
        }
        lua_setfield(s, LUA_REGISTRYINDEX, "http_parser_fuzz");
        lua_coverage::attach(s);
        return s;
    }();
    return L;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lua_State *L = fuzz_state();
    lua_coverage::next_input();
    lua_getfield(L, LUA_REGISTRYINDEX, "http_parser_fuzz");
    lua_pushlstring(L, reinterpret_cast<const char *>(data), size);
    lua_pcall(L, 1, 0, 0);
    lua_settop(L, 0);
    static unsigned runs = 0;
    if (++runs % 256 == 0)
        lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
