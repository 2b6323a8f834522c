// math, io, os and bit open on first use in service states
// (skynet_lua_lazy_libraries); to Lua code they behave as if always open.
#include "lua/compat.h"
#include "lua/modules.h"

#include <catch2/catch.hpp>

#include "lua_chunk.h"

#include <cstring>
#include <string>

namespace {

// A state set up the way snlua sets up a service's.
struct service_state {
    lua_State *L = luaL_newstate();

    service_state() {
        const luaL_Reg eager[] = {
            {"", luaopen_base},
            {LUA_LOADLIBNAME, luaopen_package},
            {LUA_TABLIBNAME, luaopen_table},
            {LUA_STRLIBNAME, luaopen_string},
            {LUA_DBLIBNAME, luaopen_debug},
            {LUA_JITLIBNAME, luaopen_jit},
        };
        for (const luaL_Reg &lib : eager) {
            lua_pushcfunction(L, lib.func);
            lua_pushstring(L, lib.name);
            lua_call(L, 1, 0);
        }
        skynet_lua_lazy_libraries(L);
        skynet_lua_compat(L);
    }
    ~service_state() { lua_close(L); }
    service_state(const service_state &) = delete;
    service_state &operator=(const service_state &) = delete;

    std::string run(const char *code) { return run_chunk(L, code); }
};

} // namespace

TEST_CASE("a library opens on its first use and its stand-in becomes it", "[lazylib]") {
    service_state s;
    REQUIRE(s.run(R"lua(
		local m = rawget(_G, "math")
		assert(type(m) == "table" and getmetatable(m) ~= nil, "math waits")
		assert(package.loaded.math == m)
		assert(math.floor(1.5) == 1)
		assert(getmetatable(m) == nil, "opened: plain table again")
		assert(rawget(_G, "math") == m and package.loaded.math == m)
		assert(rawget(m, "sqrt") == math.sqrt)
		-- the Lua 5.3 additions come with it
		assert(math.type(1) == "integer" and math.type(1.5) == "float")
		assert(math.maxinteger and math.mininteger and math.ult(1, 2))
	)lua") == "");
}

TEST_CASE("require returns the library and opens it", "[lazylib]") {
    service_state s;
    REQUIRE(s.run(R"lua(
		local io2 = require "io"
		assert(io2 == io)
		assert(type(io2.write) == "function" and io.stdout ~= nil)
		assert(require "bit" == bit and bit.band(6, 3) == 2)
		assert(require("os").time() > 0)
	)lua") == "");
}

TEST_CASE("a field set before any read survives the opening", "[lazylib]") {
    service_state s;
    REQUIRE(s.run(R"lua(
		local function myexit() return "stay" end
		os.exit = myexit
		assert(os.time() > 0)
		assert(os.exit == myexit)
		assert(type(os.clock) == "function")
	)lua") == "");
}

TEST_CASE("pairs, setmetatable and coroutines see the whole library", "[lazylib]") {
    service_state s;
    REQUIRE(s.run(R"lua(
		local n = 0
		for k, v in pairs(bit) do n = n + 1 end
		assert(n >= 10, "pairs opens it: " .. n)
		-- a user metatable on a library that was never used
		local mt = { __index = function(_, k) return "missing " .. k end }
		setmetatable(io, mt)
		assert(getmetatable(io) == mt)
		assert(type(io.open) == "function" and io.nothing == "missing nothing")
		local co = coroutine.wrap(function() return math.abs(-3) end)
		assert(co() == 3)
	)lua") == "");
}

TEST_CASE("the JIT sees the real math functions", "[lazylib]") {
    service_state s;
    REQUIRE(s.run(R"lua(
		local floor = math.floor
		local x = 0
		for i = 1, 1000 do x = x + floor(i / 3) end
		assert(x == 166500)
	)lua") == "");
}
