// skynet.multicast.core: the packages multicastd passes around (pack, unpack,
// bind, close, remote, packremote, nextid) and their release.
#include "lua/modules.h"
#include "skynet_malloc.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>

namespace {

struct mc_state {
    lua_State *L = luaL_newstate();
    mc_state() {
        luaL_openlibs(L);
        lua_pushcfunction(L, luaopen_skynet_multicast_core);
        lua_call(L, 0, 1);
        lua_setglobal(L, "mc");
    }
    ~mc_state() { lua_close(L); }
    mc_state(const mc_state &) = delete;
    mc_state &operator=(const mc_state &) = delete;

    // Calls mc.<fn> with the values pushed by `push`; returns the number of
    // results left on the stack, or -1 with the error in `error`.
    template <class Push> int call(const char *fn, Push push) {
        lua_settop(L, 0);
        lua_getglobal(L, "mc");
        lua_getfield(L, -1, fn);
        lua_remove(L, 1);
        int n = push(L);
        if (lua_pcall(L, n, LUA_MULTRET, 0) != 0) {
            error = lua_tostring(L, -1);
            return -1;
        }
        return lua_gettop(L);
    }
    long live() {
        call("live", [](lua_State *) { return 0; });
        return static_cast<long>(lua_tointeger(L, 1));
    }
    std::string error;
};

void *message(const char *text) {
    size_t n = std::strlen(text);
    void *p = skynet_malloc(n);
    std::memcpy(p, text, n);
    return p;
}

// mc.pack(msg, sz) -> box (left in *box)
void *pack(mc_state &s, const char *text) {
    void *msg = message(text);
    size_t n = std::strlen(text);
    REQUIRE(s.call("pack", [&](lua_State *L) {
        lua_pushlightuserdata(L, msg);
        lua_pushinteger(L, static_cast<lua_Integer>(n));
        return 2;
    }) == 2);
    CHECK(lua_tointeger(s.L, 2) == static_cast<lua_Integer>(sizeof(void *)));
    return lua_touserdata(s.L, 1);
}

void *bind(mc_state &s, void *box, int refs) {
    REQUIRE(s.call("bind", [&](lua_State *L) {
        lua_pushlightuserdata(L, box);
        lua_pushinteger(L, refs);
        return 2;
    }) == 1);
    return lua_touserdata(s.L, 1);
}

int close(mc_state &s, void *pkg) {
    return s.call("close", [&](lua_State *L) {
        lua_pushlightuserdata(L, pkg);
        return 1;
    });
}

} // namespace

TEST_CASE("multicast package: pack, unpack, bind, close frees on the last reference",
          "[multicast]") {
    mc_state s;
    long before = s.live();
    void *box = pack(s, "hello");
    CHECK(s.live() == before + 1);

    REQUIRE(s.call("unpack", [&](lua_State *L) {
        lua_pushlightuserdata(L, box);
        lua_pushinteger(L, sizeof(void *));
        return 2;
    }) == 3);
    const char *data = static_cast<const char *>(lua_touserdata(s.L, 2));
    REQUIRE(lua_tointeger(s.L, 3) == 5);
    CHECK(std::string(data, 5) == "hello");

    void *pkg = bind(s, box, 3);
    CHECK(close(s, pkg) == 0);
    CHECK(close(s, pkg) == 0);
    CHECK(s.live() == before + 1);
    CHECK(close(s, pkg) == 0);
    CHECK(s.live() == before);
}

TEST_CASE("multicast package: bad sizes and double binds are errors", "[multicast]") {
    mc_state s;
    void *box = pack(s, "x");
    CHECK(s.call("unpack", [&](lua_State *L) {
        lua_pushlightuserdata(L, box);
        lua_pushinteger(L, 5);
        return 2;
    }) == -1);
    CHECK(s.error.find("Invalid multicast package size 5") != std::string::npos);

    void *pkg = bind(s, box, 1);
    CHECK(close(s, pkg) == 0);

    void *box2 = pack(s, "y");
    CHECK(s.call("pack", [&](lua_State *L) {
        lua_pushlightuserdata(L, nullptr);
        lua_pushinteger(L, -1);
        return 2;
    }) == -1);
    CHECK(s.error.find("32bit") != std::string::npos);
    void *pkg2 = bind(s, box2, 1);
    // a second bind of the same package (box already freed: rebuild one)
    void **again = static_cast<void **>(skynet_malloc(sizeof(void *)));
    *again = pkg2;
    CHECK(s.call("bind", [&](lua_State *L) {
        lua_pushlightuserdata(L, again);
        lua_pushinteger(L, 2);
        return 2;
    }) == -1);
    CHECK(s.error.find("more than once") != std::string::npos);
    skynet_free(again);
    CHECK(close(s, pkg2) == 0);
}

TEST_CASE("multicast package: packremote copies, remote hands the payload on", "[multicast]") {
    mc_state s;
    long before = s.live();
    const char text[] = "remote payload";
    REQUIRE(s.call("packremote", [&](lua_State *L) {
        lua_pushlightuserdata(L, const_cast<char *>(text));
        lua_pushinteger(L, sizeof(text) - 1);
        return 2;
    }) == 2);
    void *box = lua_touserdata(s.L, 1);
    CHECK(s.live() == before + 1);
    REQUIRE(s.call("remote", [&](lua_State *L) {
        lua_pushlightuserdata(L, box);
        return 1;
    }) == 2);
    void *data = lua_touserdata(s.L, 1);
    REQUIRE(lua_tointeger(s.L, 2) == static_cast<lua_Integer>(sizeof(text) - 1));
    CHECK(data != text);
    CHECK(std::memcmp(data, text, sizeof(text) - 1) == 0);
    CHECK(s.live() == before);
    skynet_free(data); // ours now
}

TEST_CASE("multicast channel ids keep the harbor in the low byte", "[multicast]") {
    mc_state s;
    auto next = [&](double id) {
        REQUIRE(s.call("nextid", [&](lua_State *L) {
            lua_pushnumber(L, id);
            return 1;
        }) == 1);
        return lua_tonumber(s.L, 1);
    };
    CHECK(next(0) == 256);
    CHECK(next(3) == 259);
    CHECK(next(0x7fffff03) == 3);
    CHECK(next(0x7fffff00 - 256 + 7) == 0x7fffff07);
}
