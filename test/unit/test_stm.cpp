// skynet.stm: a writer in one state publishes, a reader in another sees each
// new message once; the messages outlive the writer while a reader holds one.
#include "lua/modules.h"

#include <catch2/catch.hpp>

#include "lua_chunk.h"

#include <string>

namespace {

struct lua_state {
    lua_State *L;
    lua_state() : L(luaL_newstate()) {
        luaL_openlibs(L);
        skynet_lua_compat(L);
        lua_pushcfunction(L, luaopen_skynet_stm);
        lua_call(L, 0, 1);
        lua_setglobal(L, "stm");
    }
    ~lua_state() { lua_close(L); }
    lua_state(const lua_state &) = delete;
    lua_state &operator=(const lua_state &) = delete;
    std::string run(const char *code) { return run_chunk(L, code); }
};

void hand_over(lua_state &from, lua_state &to, const char *name) {
    lua_getglobal(from.L, name);
    lua_pushlightuserdata(to.L, lua_touserdata(from.L, -1));
    lua_pop(from.L, 1);
    lua_setglobal(to.L, name);
}

} // namespace

TEST_CASE("stm: readers see each published message once", "[stm]") {
    lua_state w, r;
    REQUIRE(w.run(R"(
        obj = stm.new "first"
        copy = stm.copy(obj)
    )") == "");
    hand_over(w, r, "copy");
    REQUIRE(r.run(R"(
        reader = stm.newcopy(copy)
        local function text(msg, sz, ud)
            assert(type(msg) == "userdata" and sz == 5 and ud == "ud")
            return "read", sz
        end
        local changed, what, sz = reader(text, "ud")
        assert(changed == true and what == "read" and sz == 5)
        assert(reader(text) == false, "nothing new")
    )") == "");
    REQUIRE(w.run("obj('second!')") == "");
    REQUIRE(r.run(R"(
        local changed, n = reader(function(msg, sz) return sz end)
        assert(changed and n == 7)
        assert(reader(function() end) == false)
    )") == "");
    // the writer goes away: readers see nothing new, and nothing is freed twice
    REQUIRE(w.run("obj = nil collectgarbage() collectgarbage()") == "");
    REQUIRE(r.run(R"(
        assert(reader(function() error "no call" end) == false)
        reader = nil
        collectgarbage()
    )") == "");
}

TEST_CASE("stm: bad arguments are refused", "[stm]") {
    lua_state s;
    REQUIRE(s.run(R"(
        local ok, err = pcall(stm.new, {})
        assert(not ok and err:find("string expected"), err)
        local obj = stm.new "x"
        local reader = stm.newcopy(stm.copy(obj))
        ok, err = pcall(reader, 1)
        assert(not ok and err:find("function expected"), err)
    )") == "");
}
