// skynet.netpack against the recorded gate framing vectors, plus the
// skynet.socketdriver read buffer, both driven from a LuaJIT state the way
// gateserver.lua and socket.lua drive them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hexdigest.h"
#include "lua/modules.h"
#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

using json = nlohmann::json;

namespace {

// Checks bytes against a vector field set: `<p>hex`, or `<p>len` +
// `<p>head_hex` + `<p>sha256` for large strings.
void check_bytes(const json &rec, const std::string &prefix, const std::string &bytes) {
    INFO(rec.value("name", std::string("?")) << " field " << prefix << "hex");
    if (rec.contains(prefix + "hex")) {
        CHECK(to_hex(bytes) == rec[prefix + "hex"].get<std::string>());
        return;
    }
    REQUIRE(rec.contains(prefix + "len"));
    CHECK(bytes.size() == rec[prefix + "len"].get<size_t>());
    CHECK(to_hex(bytes.substr(0, 64)) == rec[prefix + "head_hex"].get<std::string>());
    CHECK(sha256_hex(bytes) == rec[prefix + "sha256"].get<std::string>());
}

// --- helpers the Lua side calls ---

// type, id, ud, payload|nil, text|nil → msg, sz: a PTYPE_SOCKET message as
// the socket server builds it (payload in its own block, text after the
// struct). DATA with a payload takes ud = #payload.
int test_message(lua_State *L) {
    int type = static_cast<int>(luaL_checkinteger(L, 1));
    int id = static_cast<int>(luaL_checkinteger(L, 2));
    int ud = static_cast<int>(luaL_optinteger(L, 3, 0));
    size_t plen = 0, tlen = 0;
    const char *payload = lua_isnoneornil(L, 4) ? nullptr : luaL_checklstring(L, 4, &plen);
    const char *text = lua_isnoneornil(L, 5) ? nullptr : luaL_checklstring(L, 5, &tlen);
    size_t sz = sizeof(skynet_socket_message) + tlen;
    auto *m = static_cast<skynet_socket_message *>(skynet_malloc(sz));
    m->type = type;
    m->id = id;
    m->ud = ud;
    m->buffer = nullptr;
    if (payload != nullptr) {
        m->buffer = static_cast<char *>(skynet_malloc(plen > 0 ? plen : 1));
        std::memcpy(m->buffer, payload, plen);
        if (type == SKYNET_SOCKET_TYPE_DATA)
            m->ud = static_cast<int>(plen);
    }
    if (text != nullptr)
        std::memcpy(m + 1, text, tlen);
    lua_pushlightuserdata(L, m);
    lua_pushinteger(L, static_cast<lua_Integer>(sz));
    return 2;
}

// The runtime frees the message struct after dispatch; the test does it here.
int test_free(lua_State *L) {
    skynet_free(lua_touserdata(L, 1));
    return 0;
}

// msg → the buffer pointer inside, as a lightuserdata
int test_buffer_of(lua_State *L) {
    auto *m = static_cast<skynet_socket_message *>(lua_touserdata(L, 1));
    lua_pushlightuserdata(L, m->buffer);
    return 1;
}

const char *kHarness = R"(
local netpack = require "skynet.netpack"
local H = {}
local queue

-- One DATA block for fd through filter, as gateserver does. Returns the
-- filter type and a flat list {fd, payload, fd, payload, ...} of delivered frames.
function H.data(fd, chunk)
	local msg, sz = test_message(1, fd, 0, chunk)
	local t, a, b, c
	queue, t, a, b, c = netpack.filter(queue, msg, sz)
	test_free(msg)
	local out = {}
	if t == "data" then
		out[1] = a
		out[2] = netpack.tostring(b, c)
	elseif t == "more" then
		for fd, m, s in netpack.pop, queue do
			out[#out+1] = fd
			out[#out+1] = netpack.tostring(m, s)
		end
	end
	return t, out
end

-- Any other socket event; returns everything filter returned after the queue.
function H.event(type, id, ud, text)
	local msg, sz = test_message(type, id, ud, nil, text)
	local r = { netpack.filter(queue, msg, sz) }
	test_free(msg)
	queue = r[1]
	return unpack(r, 2, table.maxn(r))
end

function H.reset()
	netpack.clear(queue)
	queue = nil
end

function H.queue()
	return queue
end

return H
)";

int dummy_context;

// A LuaJIT state with the two modules in package.preload and the test helpers.
class Lua {
  public:
    explicit Lua(bool with_context = true) : L_(luaL_newstate()) {
        luaL_openlibs(L_);
        if (with_context) {
            lua_pushlightuserdata(L_, &dummy_context);
            lua_setfield(L_, LUA_REGISTRYINDEX, "skynet_context");
        }
        lua_getglobal(L_, "package");
        lua_getfield(L_, -1, "preload");
        lua_pushcfunction(L_, luaopen_skynet_netpack);
        lua_setfield(L_, -2, "skynet.netpack");
        lua_pushcfunction(L_, luaopen_skynet_socketdriver);
        lua_setfield(L_, -2, "skynet.socketdriver");
        lua_pop(L_, 2);
        lua_register(L_, "test_message", test_message);
        lua_register(L_, "test_free", test_free);
        lua_register(L_, "test_buffer_of", test_buffer_of);
    }
    ~Lua() { lua_close(L_); }
    Lua(const Lua &) = delete;
    Lua &operator=(const Lua &) = delete;

    lua_State *state() const { return L_; }

    // Runs code; returns "" or the error message.
    std::string run(const std::string &code) {
        if (luaL_loadbuffer(L_, code.data(), code.size(), "=test") != 0 ||
            lua_pcall(L_, 0, 0, 0) != 0) {
            std::string err = lua_tostring(L_, -1);
            lua_pop(L_, 1);
            return err;
        }
        return "";
    }

    // Loads the harness into global H.
    void harness() {
        REQUIRE(luaL_loadstring(L_, kHarness) == 0);
        REQUIRE(lua_pcall(L_, 0, 1, 0) == 0);
        lua_setglobal(L_, "H");
    }

    // H.data(fd, chunk) → type ("" for none) and delivered frames.
    std::pair<std::string, std::vector<std::pair<int, std::string>>>
    data(int fd, const std::string &chunk) {
        lua_getglobal(L_, "H");
        lua_getfield(L_, -1, "data");
        lua_pushinteger(L_, fd);
        lua_pushlstring(L_, chunk.data(), chunk.size());
        if (lua_pcall(L_, 2, 2, 0) != 0) {
            std::string err = lua_tostring(L_, -1);
            lua_pop(L_, 2);
            FAIL("H.data failed: " << err);
        }
        std::string type = lua_isnil(L_, -2) ? "" : lua_tostring(L_, -2);
        std::vector<std::pair<int, std::string>> frames;
        int n = static_cast<int>(lua_objlen(L_, -1));
        for (int i = 1; i <= n; i += 2) {
            lua_rawgeti(L_, -1, i);
            lua_rawgeti(L_, -2, i + 1);
            size_t len = 0;
            const char *s = lua_tolstring(L_, -1, &len);
            frames.emplace_back(static_cast<int>(lua_tointeger(L_, -2)), std::string(s, len));
            lua_pop(L_, 2);
        }
        lua_pop(L_, 3);
        return {type, frames};
    }

    // Evaluates a Lua expression that yields one string.
    std::string eval_string(const std::string &expr) {
        std::string code = "return " + expr;
        REQUIRE(luaL_loadstring(L_, code.c_str()) == 0);
        REQUIRE(lua_pcall(L_, 0, 1, 0) == 0);
        size_t len = 0;
        const char *s = lua_tolstring(L_, -1, &len);
        REQUIRE(s != nullptr);
        std::string out(s, len);
        lua_pop(L_, 1);
        return out;
    }

    // netpack.pack(payload) through netpack.tostring; "" + error on failure.
    std::string pack(const std::string &payload, std::string *error) {
        lua_getglobal(L_, "PACK");
        lua_pushlstring(L_, payload.data(), payload.size());
        if (lua_pcall(L_, 1, 2, 0) != 0) {
            *error = lua_tostring(L_, -1);
            lua_pop(L_, 1);
            return "";
        }
        size_t len = 0;
        const char *s = lua_tolstring(L_, -2, &len);
        std::string frame(s, len);
        CHECK(lua_tointeger(L_, -1) == static_cast<lua_Integer>(payload.size() + 2));
        lua_pop(L_, 2);
        return frame;
    }

  private:
    lua_State *L_;
};

std::vector<json> load_vectors() {
    std::vector<std::string> paths = {"test/vectors/netpack.jsonl"};
    std::string here = __FILE__;
    if (auto slash = here.rfind('/'); slash != std::string::npos)
        paths.push_back(here.substr(0, slash) + "/../vectors/netpack.jsonl");
    for (const auto &p : paths) {
        std::ifstream in(p);
        if (!in)
            continue;
        std::vector<json> out;
        std::string line;
        while (std::getline(in, line))
            if (!line.empty())
                out.push_back(json::parse(line));
        return out;
    }
    FAIL("netpack.jsonl not found (run from the repository root)");
    return {};
}

// The delivered frames must be exactly the gate's messages, in order.
void check_delivered(const json &rec, const std::vector<std::pair<int, std::string>> &got) {
    const json &want = rec["gate_messages"];
    INFO(rec["name"].get<std::string>());
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i)
        check_bytes(want[i], "", got[i].second);
}

const char *kPackFn = R"(
local netpack = require "skynet.netpack"
local driver = require "skynet.socketdriver"
-- Packs both ways (string, and msg+sz) and insists they agree.
function PACK(s)
	-- called straight from pcall, so an error carries no caller position
	local ok, m1, n1 = pcall(netpack.pack, s)
	if not ok then
		error(m1, 0)
	end
	local p, sz = driver.str2p(s)
	local m2, n2 = netpack.pack(p, sz)
	driver.drop(p, sz)
	local a = netpack.tostring(m1, n1)
	local b = netpack.tostring(m2, n2)
	assert(a == b, "pack(string) and pack(msg, sz) differ")
	assert(n1 == n2)
	return a, n1
end
)";

} // namespace

TEST_CASE("netpack vectors: pack output and gate delivery", "[netpack]") {
    Lua lua;
    lua.harness();
    REQUIRE(lua.run(kPackFn) == "");
    auto records = load_vectors();
    REQUIRE(records.size() == 14);

    std::map<std::string, std::string> frames; // name → packed frame
    int packs = 0, streams = 0;
    for (const auto &rec : records) {
        std::string name = rec["name"].get<std::string>();
        INFO("record " << name);
        if (rec["op"] == "pack") {
            ++packs;
            std::string payload = lua.eval_string(rec["payload_lua"].get<std::string>());
            check_bytes(rec, "payload_", payload);
            std::string error;
            std::string frame = lua.pack(payload, &error);
            if (rec.contains("error")) {
                CHECK(error == rec["error"].get<std::string>());
                continue;
            }
            REQUIRE(error == "");
            check_bytes(rec, "", frame);
            CHECK(frame.size() == rec["frame_len"].get<size_t>());
            frames[name] = frame;

            auto [type, got] = lua.data(100, frame);
            CHECK(type == "data");
            for (const auto &f : got)
                CHECK(f.first == 100);
            check_delivered(rec, got);
        } else {
            REQUIRE(rec["op"] == "stream");
            ++streams;
            std::string bytes;
            for (const auto &f : rec["frames"]) {
                REQUIRE(frames.count(f.get<std::string>()) == 1);
                bytes += frames[f.get<std::string>()];
            }
            check_bytes(rec, "", bytes);
            std::vector<std::pair<int, std::string>> got;
            size_t at = 0;
            for (const auto &w : rec["write_sizes"]) {
                size_t n = w.get<size_t>();
                REQUIRE(at + n <= bytes.size());
                auto [type, part] = lua.data(200, bytes.substr(at, n));
                got.insert(got.end(), part.begin(), part.end());
                at += n;
            }
            CHECK(at == bytes.size());
            check_delivered(rec, got);
        }
    }
    CHECK(packs == 9);
    CHECK(streams == 5);
}

TEST_CASE("netpack filter: result types per chunk shape", "[netpack]") {
    Lua lua;
    lua.harness();
    using Frames = std::vector<std::pair<int, std::string>>;

    SECTION("a header split after its first byte waits for the rest") {
        auto r1 = lua.data(7, std::string("\0", 1));
        CHECK(r1.first == "");
        CHECK(r1.second.empty());
        auto r2 = lua.data(7, std::string("\5hel", 4));
        CHECK(r2.first == "");
        auto r3 = lua.data(7, "lo");
        CHECK(r3.first == "data");
        CHECK(r3.second == Frames{{7, "hello"}});
    }
    SECTION("several frames in one chunk come out as more, then pop in order") {
        std::string chunk = std::string("\0\1a\0\0\0\3xyz", 10);
        auto r = lua.data(3, chunk);
        CHECK(r.first == "more");
        CHECK(r.second == Frames{{3, "a"}, {3, ""}, {3, "xyz"}});
        CHECK(lua.run("assert(select('#', require('skynet.netpack').pop(H.queue())) == 0)") == "");
    }
    SECTION("a completed frame followed by a partial one is more, the partial waits") {
        auto r1 = lua.data(4, std::string("\0\4ab", 4));
        CHECK(r1.first == "");
        auto r2 = lua.data(4, std::string("cd\0\3x", 5));
        CHECK(r2.first == "more");
        CHECK(r2.second == Frames{{4, "abcd"}});
        auto r3 = lua.data(4, "yz");
        CHECK(r3.first == "data");
        CHECK(r3.second == Frames{{4, "xyz"}});
    }
    SECTION("a fresh chunk holding exactly one frame is data") {
        auto r = lua.data(5, std::string("\0\2hi", 4));
        CHECK(r.first == "data");
        CHECK(r.second == Frames{{5, "hi"}});
    }
    SECTION("an empty frame alone is data with size 0") {
        auto r = lua.data(5, std::string("\0\0", 2));
        CHECK(r.first == "data");
        CHECK(r.second == Frames{{5, ""}});
    }
    SECTION("partial frames are kept per connection") {
        CHECK(lua.data(1, std::string("\0\3a", 3)).first == "");
        CHECK(lua.data(2, std::string("\0", 1)).first == "");
        auto r2 = lua.data(2, std::string("\2xy", 3));
        CHECK(r2.second == Frames{{2, "xy"}});
        auto r1 = lua.data(1, "bc");
        CHECK(r1.second == Frames{{1, "abc"}});
    }
    SECTION("close drops the partial frame") {
        CHECK(lua.data(9, std::string("\0\5he", 4)).first == "");
        CHECK(lua.run("local t, id = H.event(3, 9); assert(t == 'close' and id == 9)") == "");
        auto r = lua.data(9, std::string("\0\2ok", 4));
        CHECK(r.first == "data");
        CHECK(r.second == Frames{{9, "ok"}});
    }
    SECTION("error drops the partial frame, including a lone header byte") {
        CHECK(lua.data(9, std::string("\1", 1)).first == "");
        CHECK(lua.run(R"(
            local t, id, text = H.event(5, 9, 0, "Connection reset by peer")
            assert(t == "error" and id == 9 and text == "Connection reset by peer", tostring(t))
        )") == "");
        auto r = lua.data(9, std::string("\0\1z", 3));
        CHECK(r.first == "data");
        CHECK(r.second == Frames{{9, "z"}});
    }
}

TEST_CASE("netpack filter: socket events other than data", "[netpack]") {
    Lua lua;
    lua.harness();
    CHECK(lua.run(R"(
        local function same(got, ...)
            local want = {...}
            assert(#got == #want, "count " .. #got .. " ~= " .. #want)
            for i = 1, #want do
                assert(got[i] == want[i], i .. ": " .. tostring(got[i]) .. " ~= " .. tostring(want[i]))
            end
        end
        same({H.event(2, 11, 8888, "127.0.0.1")}, "init", 11, "127.0.0.1", 8888)
        same({H.event(4, 11, 12, "127.0.0.1:54321")}, "open", 12, "127.0.0.1:54321")
        same({H.event(7, 12, 1024)}, "warning", 12, 1024)
        same({H.event(3, 12)}, "close", 12)
        same({H.event(5, 12, 0, "socket closed")}, "error", 12, "socket closed")
        -- UDP: nothing for the gate, and the payload is freed (LeakSanitizer watches)
        local netpack = require "skynet.netpack"
        local msg, sz = test_message(6, 13, 3, "abc")
        local r = { netpack.filter(H.queue(), msg, sz) }
        test_free(msg)
        assert(select('#', unpack(r)) == 1 and r[1] == H.queue())
    )") == "");
}

TEST_CASE("netpack filter: queue argument", "[netpack]") {
    Lua lua;
    lua.harness();
    CHECK(lua.run(R"(
        local netpack = require "skynet.netpack"
        -- nil creates a queue, which is then returned every time
        local msg, sz = test_message(3, 1)
        local q = netpack.filter(nil, msg, sz)
        assert(type(q) == "userdata")
        local q2 = netpack.filter(q, msg, sz)
        assert(q2 == q)
        -- anything else is refused
        local ok, err = pcall(netpack.filter, {}, msg, sz)
        assert(not ok and err:find("Invalid netpack queue"), err)
        test_free(msg)
        -- pop and clear accept a missing queue
        assert(select('#', netpack.pop(nil)) == 0)
        netpack.clear(nil)
    )") == "");
}

TEST_CASE("netpack: clear and garbage collection free pending frames", "[netpack]") {
    // Run under ASan/LSan these leave nothing behind.
    Lua lua;
    lua.harness();
    // pending: one ready frame never popped, one partial
    CHECK(lua.run(R"(
        local netpack = require "skynet.netpack"
        local msg, sz = test_message(1, 1, 0, "\0\1a\0\1b\0\9par")
        local q, t = netpack.filter(nil, msg, sz)
        test_free(msg)
        assert(t == "more")
        local fd, m, s = netpack.pop(q)
        assert(fd == 1 and netpack.tostring(m, s) == "a")
        netpack.clear(q)
        assert(select('#', netpack.pop(q)) == 0)
        -- usable after clear
        msg, sz = test_message(1, 1, 0, "\0\1c")
        local q2, t2, fd2, m2, s2 = netpack.filter(q, msg, sz)
        test_free(msg)
        assert(q2 == q and t2 == "data" and netpack.tostring(m2, s2) == "c")
        -- left pending for __gc / lua_close
        msg, sz = test_message(1, 2, 0, "\0\1x\0\1y\0\5pa")
        netpack.filter(q, msg, sz)
        test_free(msg)
        q = nil
        collectgarbage()
        msg, sz = test_message(1, 3, 0, "\0\1x\0\1y\0\5pa")
        netpack.filter(nil, msg, sz)
        test_free(msg)
    )") == "");
}

TEST_CASE("netpack pack and tostring", "[netpack]") {
    Lua lua;
    lua.harness();
    CHECK(lua.run(R"(
        local netpack = require "skynet.netpack"
        local m, n = netpack.pack("hello")
        assert(type(m) == "userdata" and n == 7)
        assert(netpack.tostring(m, n) == "\0\5hello")
        local big = string.rep("x", 65535)
        m, n = netpack.pack(big)
        assert(n == 65537)
        assert(netpack.tostring(m, n) == "\255\255" .. big)
        local ok, err = pcall(netpack.pack, big .. "x")
        assert(not ok and err == "Invalid size (too long) of data : 65536", err)
        assert(netpack.tostring(nil, 3) == "")
        -- what a gate sends, its peer's filter reads back
        m, n = netpack.pack("\0binary\255")
        local t, out = H.data(42, netpack.tostring(m, n))
        assert(t == "data" and out[1] == 42 and out[2] == "\0binary\255")
    )") == "");
}

TEST_CASE("netpack fuzz: random frames in random splits come out intact", "[netpack]") {
    Lua lua;
    lua.harness();
    std::mt19937 rng(20240611);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    for (int round = 0; round < 60; ++round) {
        // Two connections, their byte streams cut at random and interleaved.
        constexpr int kFds = 2;
        std::array<std::vector<std::string>, kFds> sent;
        std::array<std::string, kFds> stream;
        for (int fd = 0; fd < kFds; ++fd) {
            int count = pick(1, 12);
            for (int i = 0; i < count; ++i) {
                int roll = pick(0, 19);
                int len = roll == 0 ? 0 : roll == 1 ? pick(20000, 65535) : pick(1, 300);
                std::string payload(static_cast<size_t>(len), '\0');
                for (auto &c : payload)
                    c = static_cast<char>(pick(0, 255));
                sent[fd].push_back(payload);
                stream[fd] += static_cast<char>(len >> 8);
                stream[fd] += static_cast<char>(len & 0xff);
                stream[fd] += payload;
            }
        }
        std::array<size_t, kFds> at{};
        std::array<std::vector<std::string>, kFds> got;
        int guard = 0;
        while ((at[0] < stream[0].size() || at[1] < stream[1].size()) && ++guard < 100000) {
            int fd = pick(0, kFds - 1);
            if (at[fd] == stream[fd].size())
                fd = 1 - fd;
            size_t left = stream[fd].size() - at[fd];
            size_t n = pick(0, 3) == 0 ? 1 : static_cast<size_t>(pick(1, 70000));
            n = std::min(n, left);
            auto [type, frames] = lua.data(fd + 1, stream[fd].substr(at[fd], n));
            at[fd] += n;
            for (const auto &[id, payload] : frames) {
                REQUIRE((id == 1 || id == 2));
                got[id - 1].push_back(payload);
            }
        }
        for (int fd = 0; fd < kFds; ++fd) {
            INFO("round " << round << " fd " << fd + 1);
            REQUIRE(got[fd].size() == sent[fd].size());
            for (size_t i = 0; i < sent[fd].size(); ++i)
                CHECK(got[fd][i] == sent[fd][i]);
        }
    }
}

// --- socketdriver: pure functions and the read buffer ---

TEST_CASE("socketdriver read buffer: push, pop, readline, readall, clear",
          "[netpack][socketdriver]") {
    Lua lua;
    CHECK(lua.run(R"(
        local driver = require "skynet.socketdriver"
        local buf, pool = driver.buffer(), {}
        local function push(s) return driver.push(buf, pool, driver.str2p(s)) end

        assert(push("hello ") == 6)
        assert(push("wor") == 9)
        assert(push("ld\nsecond\r\nthird") == 25)
        -- pop: nil when short or zero, else exactly sz bytes, across blocks
        local s, left = driver.pop(buf, pool, 26)
        assert(s == nil and left == 25)
        s, left = driver.pop(buf, pool, 0)
        assert(s == nil and left == 25)
        s, left = driver.pop(buf, pool, 2)
        assert(s == "he" and left == 23)
        s, left = driver.pop(buf, pool, 6)
        assert(s == "llo wo" and left == 17)
        -- readline: check only without a pool, else consume through sep
        assert(driver.readline(buf, nil, "\n") == true)
        assert(driver.readline(buf, nil, "missing") == nil)
        assert(select('#', driver.readline(buf, pool, "missing")) == 0)
        assert(driver.readline(buf, pool, "\n") == "rld")
        assert(driver.readline(buf, pool, "\r\n") == "second")
        -- nothing consumed by a failed readline
        assert(driver.readline(buf, pool, "\n") == nil)
        assert(driver.readall(buf, pool) == "third")
        assert(driver.readall(buf, pool) == "")
        assert(select('#', driver.readline(buf, pool, "\n")) == 0)

        -- a separator split over three blocks
        push("ab<") push("-") push("->cd")
        assert(driver.readline(buf, nil, "<-->"))
        assert(driver.readline(buf, pool, "<-->") == "ab")
        assert(driver.readall(buf, pool) == "cd")

        -- a line spanning many blocks, and an empty line
        for i = 1, 100 do push(tostring(i % 10)) end
        push("\n\nrest")
        local line = driver.readline(buf, pool, "\n")
        assert(#line == 100 and line:sub(1, 12) == "123456789012", line)
        assert(driver.readline(buf, pool, "\n") == "")
        s, left = driver.pop(buf, pool, 4)
        assert(s == "rest" and left == 0)

        -- pop over block boundaries, reading a whole block exactly
        push("0123") push("4567") push("89")
        assert(driver.pop(buf, pool, 4) == "0123")
        assert(driver.pop(buf, pool, 5) == "45678")
        assert(driver.pop(buf, pool, 1) == "9")

        -- an empty line whose separator spans two blocks
        push("\r") push("\nx")
        assert(driver.readline(buf, pool, "\r\n") == "")
        assert(driver.readall(buf, pool) == "x")

        -- results past the reusable gathering area (1 MiB), then small again
        local big = string.rep("0123456789abcdef", 70000)
        for i = 1, #big, 65536 do push(big:sub(i, i + 65535)) end
        assert(driver.pop(buf, pool, #big) == big)
        for i = 1, #big, 65536 do push(big:sub(i, i + 65535)) end
        push("\ntail")
        assert(driver.readline(buf, pool, "\n") == big)
        assert(driver.readall(buf, pool) == "tail")

        -- clear drops everything; nil buffer is fine
        push("junk") push("more junk")
        driver.clear(buf, pool)
        assert(driver.readall(buf, pool) == "")
        assert(push("x") == 1)
        driver.clear(nil, pool)

        -- bad arguments
        local ok, err = pcall(driver.pop, {}, pool, 1)
        assert(not ok and err:find("Need buffer object"), err)
        ok, err = pcall(driver.push, buf, pool, nil, 1)
        assert(not ok and err:find("message block"), err)

        -- a buffer dropped with data in it is freed by its __gc
        local lost = driver.buffer()
        driver.push(lost, pool, driver.str2p("leak?"))
        lost = nil
        collectgarbage()
    )") == "");
}

TEST_CASE("socketdriver header, str2p, drop, unpack, udp_address", "[netpack][socketdriver]") {
    Lua lua;
    CHECK(lua.run(R"(
        local driver = require "skynet.socketdriver"
        assert(driver.header("\1") == 1)
        assert(driver.header("\1\2") == 258)
        assert(driver.header("\0\1\0") == 256)
        assert(driver.header("\255\255\255\255") == 4294967295)
        local ok, err = pcall(driver.header, "")
        assert(not ok and err:find("Invalid read"), err)
        ok, err = pcall(driver.header, "12345")
        assert(not ok and err == "Invalid read 12345", err)

        local p, sz = driver.str2p("abc")
        assert(type(p) == "userdata" and sz == 3)
        driver.drop(p, sz)

        -- unpack: text after the struct for connect/accept/error
        local msg, sz = test_message(2, 5, 8000, nil, "127.0.0.1")
        assert(sz == 24 + 9)
        local t, id, ud, data = driver.unpack(msg, sz)
        assert(t == 2 and id == 5 and ud == 8000 and data == "127.0.0.1")
        test_free(msg)
        msg, sz = test_message(4, 5, 6, nil, "10.0.0.1:999")
        t, id, ud, data = driver.unpack(msg, sz)
        assert(t == 4 and id == 5 and ud == 6 and data == "10.0.0.1:999")
        test_free(msg)
        -- data: the block itself, not a copy
        msg, sz = test_message(1, 5, 0, "payload")
        local n
        n, t, id, ud, data = select('#', driver.unpack(msg, sz)), driver.unpack(msg, sz)
        assert(n == 4 and t == 1 and id == 5 and ud == 7)
        assert(type(data) == "userdata" and data == test_buffer_of(msg))
        local buf, pool = driver.buffer(), {}
        driver.push(buf, pool, data, ud)
        test_free(msg)
        assert(driver.readall(buf, pool) == "payload")

        -- raw udp addresses: protocol byte, port (network order), address
        local ip, port = driver.udp_address("\1\31\144\127\0\0\1")
        assert(ip == "127.0.0.1" and port == 8080, ip)
        ip, port = driver.udp_address("\2\0\53" .. string.rep("\0", 15) .. "\1")
        assert(ip == "::1" and port == 53, ip)
        ok, err = pcall(driver.udp_address, "\1\0")
        assert(not ok and err:find("Invalid udp address"), err)

        local list = driver.resolve("127.0.0.1")
        assert(#list >= 1)
        for _, v in ipairs(list) do assert(v == "127.0.0.1", v) end
    )") == "");
}

TEST_CASE("socketdriver address parsing errors", "[netpack][socketdriver]") {
    Lua lua;
    CHECK(lua.run(R"(
        local driver = require "skynet.socketdriver"
        local function fails(want, f, ...)
            local ok, err = pcall(f, ...)
            assert(not ok, "no error for " .. want)
            assert(err == want, err)
        end
        fails("Invalid address nohost.", driver.connect, "nohost")
        fails("Invalid port in address host:99999.", driver.connect, "host:99999")
        fails("Invalid port in address host:.", driver.connect, "host:")
        fails("Invalid port in address host:80x.", driver.connect, "host:80x")
        fails("Invalid address [::1.", driver.connect, "[::1")
        fails("Invalid address [::1].", driver.connect, "[::1]")
        fails("Invalid port", driver.connect, "host:0")
        fails("Invalid port", driver.connect, "host", 0)
        fails("Invalid address 0.0.0.0.", driver.listen, "0.0.0.0")
        fails("Invalid address x.", driver.udp_dial, "x")
        fails("Invalid address x.", driver.udp_listen, "x")
    )") == "");
}

TEST_CASE("socketdriver needs a skynet context", "[netpack][socketdriver]") {
    Lua lua(false);
    std::string err = lua.run("require 'skynet.socketdriver'");
    CHECK(err.find("Init skynet context first") != std::string::npos);
    // netpack is context-free
    CHECK(lua.run("require 'skynet.netpack'") == "");
}

TEST_CASE("socketdriver popmsg: read buffer bytes as a message block", "[netpack][socketdriver]") {
    Lua lua;
    CHECK(lua.run(R"(
        local driver = require "skynet.socketdriver"
        local netpack = require "skynet.netpack"	-- tostring frees the block
        local buf, pool = driver.buffer(), {}
        local function push(s) return driver.push(buf, pool, driver.str2p(s)) end
        push("0123") push("4567") push("89")
        -- nil when short, like pop
        local m, left = driver.popmsg(buf, pool, 11)
        assert(m == nil and left == 10)
        m, left = driver.popmsg(buf, pool, 3)
        assert(type(m) == "userdata" and left == 7)
        assert(netpack.tostring(m, 3) == "012")
        -- across blocks, then exactly the rest
        m, left = driver.popmsg(buf, pool, 6)
        assert(left == 1 and netpack.tostring(m, 6) == "345678")
        -- zero bytes: still a block of its own
        m, left = driver.popmsg(buf, pool, 0)
        assert(type(m) == "userdata" and left == 1)
        assert(netpack.tostring(m, 0) == "")
        m, left = driver.popmsg(buf, pool, 1)
        assert(left == 0 and netpack.tostring(m, 1) == "9")
        assert(driver.popmsg(buf, pool, -1) == nil)
        -- mixed with pop
        push("abcdef")
        assert(driver.pop(buf, pool, 2) == "ab")
        m = driver.popmsg(buf, pool, 4)
        assert(netpack.tostring(m, 4) == "cdef")
    )") == "");
}
