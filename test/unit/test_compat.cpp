// The LuaJIT compatibility shims and the small built-in modules (profile,
// debugchannel, memory, codecache). Each case runs Lua that asserts.
#include "lua/modules.h"

#include <catch2/catch.hpp>

#include "lua_chunk.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

struct lua_state {
    lua_State *L;

    lua_state() : L(luaL_newstate()) {
        luaL_openlibs(L);
        skynet_lua_compat(L);
        open_global("profile", luaopen_skynet_profile);
        open_global("debugchannel", luaopen_skynet_debugchannel);
        open_global("memory", luaopen_skynet_memory);
        open_global("codecache", luaopen_skynet_codecache);
    }
    ~lua_state() {
        if (L != nullptr)
            lua_close(L);
    }
    lua_state(const lua_state &) = delete;
    lua_state &operator=(const lua_state &) = delete;

    void open_global(const char *name, lua_CFunction open) {
        lua_pushcfunction(L, open);
        lua_call(L, 0, 1);
        lua_setglobal(L, name);
    }

    // Runs a chunk; answers "" or the error it raised.
    std::string run(const char *code) { return run_chunk(L, code); }
};

// Shared by the chunks below. work(n) is a fixed amount of computation;
// calibrate() picks n so that work(n) takes 10+ ms of this thread's CPU,
// measured with profile itself (the process clock would count other
// threads). raises(pattern, f, ...) checks that f fails with that message.
const char *helpers = R"lua(
function work(n)
	local x = 0
	for i = 1, n do x = x + math.sin(i) end
	return x
end
function calibrate()
	local n = 100000
	work(n) -- let the JIT compile the loop first
	for _ = 1, 20 do
		profile.start()
		work(n)
		local t = profile.stop()
		if t >= 0.01 then
			-- the least of three runs: a loaded machine only ever adds time
			for _ = 1, 2 do
				profile.start()
				work(n)
				t = math.min(t, profile.stop())
			end
			return n, t
		end
		n = n * 2
	end
	error "work() does not take time"
end
function raises(pattern, f, ...)
	local ok, err = pcall(f, ...)
	assert(not ok, "expected an error: " .. pattern)
	assert(tostring(err):find(pattern, 1, true), tostring(err))
end
)lua";

int closed_finalizers = 0;

} // namespace

TEST_CASE("table.pack and table.unpack keep nils", "[compat]") {
    lua_state s;
    REQUIRE(s.run(R"lua(
		local t = table.pack(1, nil, 3, nil)
		assert(t.n == 4 and t[1] == 1 and t[2] == nil and t[3] == 3)
		local a, b, c, d = table.unpack(t, 1, t.n)
		assert(a == 1 and b == nil and c == 3 and d == nil)
		assert(select("#", table.unpack(t, 1, t.n)) == 4)
		assert(table.pack().n == 0)
		assert(table.unpack({1, 2, 3}, 2) == 2)
	)lua") == "");
}

TEST_CASE("coroutine.running reports the main thread", "[compat]") {
    lua_state s;
    REQUIRE(s.run(R"lua(
		local co, ismain = coroutine.running()
		assert(type(co) == "thread" and ismain == true)
		local inner = coroutine.create(function() return coroutine.running() end)
		local ok, self, main = coroutine.resume(inner)
		assert(ok and self == inner and main == false)
	)lua") == "");
}

TEST_CASE("coroutine.close", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local fresh = coroutine.create(function() coroutine.yield() end)
		assert(coroutine.close(fresh) == true)
		assert(coroutine.status(fresh) == "dead")
		assert(not coroutine.resume(fresh))

		local paused = coroutine.create(function() coroutine.yield(1) end)
		coroutine.resume(paused)
		assert(coroutine.close(paused) == true)

		local failed = coroutine.create(function() error("x") end)
		coroutine.resume(failed)
		assert(coroutine.close(failed) == true)

		raises("cannot close a running coroutine", coroutine.close, coroutine.running())
		raises("coroutine expected", coroutine.close, {})
		local outer = coroutine.create(function(self)
			local inner = coroutine.create(function() return pcall(coroutine.close, self) end)
			return coroutine.resume(inner)
		end)
		local ok, inner_ok, closed, err = coroutine.resume(outer, outer)
		assert(ok and inner_ok and not closed and err:find("cannot close a normal coroutine"))
	)lua") == "");
}

TEST_CASE("math integer functions on doubles", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		assert(math.type(1) == "integer" and math.type(-0.5) == "float" and math.type("1") == nil)
		assert(math.type(2^70) == "float" and math.type(0/0) == "float")
		raises("bad argument #1", math.type)
		assert(math.tointeger(3) == 3 and math.tointeger(3.5) == nil and math.tointeger("x") == nil)
		assert(math.maxinteger == 2^63 and math.mininteger == -2^63)
		assert(math.tointeger(math.maxinteger) == math.maxinteger)
		assert(math.type(math.mininteger) == "integer")
		assert(math.ult(1, 2) and not math.ult(2, 1) and math.ult(1, -1) and not math.ult(-1, 1))
		raises("number has no integer representation", math.ult, 1.5, 2)
	)lua") == "");
}

TEST_CASE("string.pack produces Lua 5.3 bytes", "[compat]") {
    lua_state s;
    REQUIRE(s.run(R"lua(
		assert(string.pack(">s2", "hello") == "\0\5hello")
		assert(string.pack("<I4", 0x01020304) == "\4\3\2\1")
		assert(string.pack(">I4", 0x01020304) == "\1\2\3\4")
		assert(string.pack("z", "ab") == "ab\0")
		assert(string.pack("<d", 1.5) == "\0\0\0\0\0\0\248\63")
		assert(string.pack(">d", 1.5) == "\63\248\0\0\0\0\0\0")
		assert(string.pack("<i2", -2) == "\254\255")
		assert(string.pack("<i3", -1) == "\255\255\255")
		assert(string.pack("<J", 2^64 - 2048) == "\0\248\255\255\255\255\255\255")
		assert(string.pack("<i1 !4 i4", 1, 2) == "\1\0\0\0\2\0\0\0")
		assert(string.pack("<!4 b Xi4 b", 1, 2) == "\1\0\0\0\2")
		assert(string.pack("<b Xi4 b", 1, 2) == "\1\2")
		assert(string.pack("c5", "ab") == "ab\0\0\0")
		assert(string.pack(">I3 x B", 0x010203, 9) == "\1\2\3\0\9")
		assert(("<I2"):pack(258) == "\2\1")
		assert(string.packsize("<i1 !4 i4") == 8)
		assert(string.packsize("i4i8") == 12)
		assert(string.packsize("!8 b d") == 16)
		assert(string.packsize("c10 h") == 12)
	)lua") == "");
}

TEST_CASE("string.unpack round trips", "[compat]") {
    lua_state s;
    REQUIRE(s.run(R"lua(
		local v, pos = string.unpack(">s2", string.pack(">s2", "hello"))
		assert(v == "hello" and pos == 8)
		local fmt = "<I4 z d i2"
		local a, b, c, d, p = string.unpack(fmt, string.pack(fmt, 4000000000, "zz", 3.25, -300))
		assert(a == 4000000000 and b == "zz" and c == 3.25 and d == -300 and p == 18)
		assert(string.unpack("<J", string.pack("<J", -1)) == -1)
		assert(string.unpack("<J", string.pack("<J", 2^63)) == -2^63)
		assert(string.unpack("<j", string.pack("<j", -2^53)) == -2^53)
		assert(string.unpack(">i16", string.pack(">i16", -5)) == -5)
		assert(string.unpack("<I16", string.pack("<I16", 7)) == 7)
		assert(string.unpack("<f", string.pack("<f", 0.5)) == 0.5)
		assert(string.unpack(">c3", "abcdef") == "abc")
		assert(select(2, string.unpack("<B", "\1\2", 2)) == 3)
		assert(string.unpack("<B", "\1\2", -1) == 2)
		assert(string.unpack("<B", "\1\2", 0) == 1 and string.unpack("<B", "\1\2", -9) == 1)
		assert(string.unpack("<h", "\255\255") == -1 and string.unpack("<H", "\255\255") == 65535)
		local x, y, next = string.unpack("!4 b i4", string.pack("!4 b i4", 7, 8))
		assert(x == 7 and y == 8 and next == 9)
	)lua") == "");
}

TEST_CASE("string.pack rejects bad input", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		raises("integer overflow", string.pack, "i1", 200)
		raises("number has no integer representation", string.pack, "j", 2^63)
		raises("unsigned overflow", string.pack, "I1", -1)
		raises("number has no integer representation", string.pack, "i4", 1.5)
		raises("number expected", string.pack, "i4", "x")
		raises("data string too short", string.unpack, "i4", "abc")
		raises("data string too short", string.unpack, ">s2", "\0\9abc")
		raises("invalid format option 'y'", string.pack, "y")
		raises("out of limits [1,16]", string.pack, "i17", 1)
		raises("variable-length format", string.packsize, "s")
		raises("string contains zeros", string.pack, "z", "a\0b")
		raises("unfinished string for format 'z'", string.unpack, "z", "abc")
		raises("9-byte integer does not fit", string.unpack, "<i9", "\0\0\0\0\0\0\0\0\1")
		raises("string length does not fit", string.pack, "s1", string.rep("x", 256))
		raises("string longer than given size", string.pack, "c2", "abc")
		raises("missing size for format option 'c'", string.pack, "c", "")
		raises("invalid next option for option 'X'", string.pack, "X")
		raises("not power of 2", string.pack, "!3 i3", 1)
		raises("initial position out of string", string.unpack, "b", "a", 3)
	)lua") == "");
}

TEST_CASE("utf8 library", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		assert(utf8.char(72, 233, 0x20AC, 0x1F600) == "H\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80")
		assert(utf8.char() == "")
		assert(utf8.char(0x7FFFFFFF) == "\xFD\xBF\xBF\xBF\xBF\xBF")
		raises("value out of range", utf8.char, -1)
		assert(utf8.len("H\xC3\xA9\xE2\x82\xAC") == 3)
		assert(utf8.len("\xC3\xA9x", 3) == 1)
		local n, bad = utf8.len("ab\xFFc")
		assert(n == nil and bad == 3)
		local a, b = utf8.codepoint("\xC3\xA9\xE2\x82\xAC", 1, -1)
		assert(a == 233 and b == 0x20AC)
		assert(utf8.codepoint("abc", 2) == 98)
		raises("invalid UTF-8 code", utf8.codepoint, "\xED\xA0\x80")
		assert(utf8.codepoint("\xED\xA0\x80", 1, 1, true) == 0xD800)
		raises("out of bounds", utf8.codepoint, "abc", 4)
		assert(utf8.offset("a\xC3\xA9b", 3) == 4)
		assert(utf8.offset("a\xC3\xA9b", -1) == 4)
		assert(utf8.offset("a\xC3\xA9b", 0, 3) == 2)
		assert(utf8.offset("ab", 5) == nil)
		raises("continuation byte", utf8.offset, "a\xC3\xA9b", 1, 3)
		local seen = {}
		for p, c in utf8.codes("a\xC3\xA9\xE2\x82\xAC") do seen[#seen + 1] = p .. ":" .. c end
		assert(table.concat(seen, ",") == "1:97,2:233,4:8364")
		raises("invalid UTF-8 code", function() for _ in utf8.codes("a\xFF") do end end)
		local count = 0
		for _ in ("a\0\xC3\xA9"):gmatch(utf8.charpattern) do count = count + 1 end
		assert(count == 3)
		assert(require("utf8") == utf8)
	)lua") == "");
}

TEST_CASE("pairs honours __pairs and stays next for plain tables", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local proxy = setmetatable({}, {__pairs = function(t)
			return function(_, k) if k == nil then return 1, "one" end end, t, nil
		end})
		local seen = {}
		for k, v in pairs(proxy) do seen[k] = v end
		assert(seen[1] == "one")
		local n = 0
		for k, v in pairs({x = 1}) do n = n + 1 assert(k == "x" and v == 1) end
		assert(n == 1)
		assert(pairs({}) == next)
		local object = setmetatable({k = 1}, {__index = {}})
		n = 0
		for k, v in pairs(object) do n = n + 1 assert(k == "k" and v == 1) end
		assert(n == 1)
		local locked = setmetatable({k = 2}, {__metatable = "locked", __pairs = function()
			return function(_, k) if k == nil then return "meta", true end end
		end})
		assert(next(locked) == "k" and pairs(locked)({}, nil) == "meta")
		local ok, err = pcall(function() pairs(nil) end)
		assert(err:find("^test:%d+: bad argument #1 to 'pairs' %(table expected, got nil%)"), err)
	)lua") == "");
}

TEST_CASE("small globals: rawlen, warn, _ENV, load", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		assert(rawlen({1, 2, 3}) == 3 and rawlen("abcd") == 4)
		raises("table or string expected", rawlen, 1)
		warn("ignored", "too")
		raises("bad argument #1", warn)
		assert(_ENV == _G)
		local f = load("return x", "=chunk", "t", {x = 42})
		assert(f() == 42)
		assert(unpack == table.unpack)
	)lua") == "");
}

TEST_CASE("__gc on tables fires when the table is collected", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local fired = {}
		local mt = {__gc = function(t) fired[#fired + 1] = t.name end}
		do local t = setmetatable({name = "a"}, mt) end
		collectgarbage() collectgarbage()
		assert(#fired == 1 and fired[1] == "a", #fired)

		local alive = setmetatable({name = "b"}, mt)
		collectgarbage() collectgarbage()
		assert(#fired == 1)
		assert(getmetatable(alive) == mt)
		assert(next(alive) == "name" and next(alive, "name") == nil)

		local cls = {__gc = function() end, __index = function(_, k) return k .. "!" end,
			__call = function(_, x) return x * 2 end}
		local obj = setmetatable({}, cls)
		assert(obj.hi == "hi!" and obj(21) == 42)
	)lua") == "");
}

TEST_CASE("__gc on tables: disarm, resurrect, protect, errors", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local count = 0
		local counting = {__gc = function() count = count + 1 end}
		do local x = setmetatable({}, counting) setmetatable(x, nil) end
		do local y = setmetatable({}, counting) setmetatable(y, {}) end
		collectgarbage() collectgarbage()
		assert(count == 0)

		local keep
		do setmetatable({}, {__gc = function(o) count = count + 1 keep = o end}) end
		collectgarbage() collectgarbage()
		assert(count == 1 and keep ~= nil)
		keep = nil
		collectgarbage() collectgarbage()
		assert(count == 1)

		local locked = setmetatable({}, {__gc = function() end, __metatable = "locked"})
		assert(getmetatable(locked) == "locked")
		raises("cannot change a protected metatable", setmetatable, locked, {})
		local plain_locked = setmetatable({}, {__metatable = false})
		raises("cannot change a protected metatable", setmetatable, plain_locked, {})
		raises("nil or table expected", setmetatable, {}, 1)
		local ok, err = pcall(function() setmetatable(5, {}) end)
		assert(err:find("^test:%d+: bad argument #1 to 'setmetatable' %(table expected, got number%)"), err)
		ok, err = pcall(function() setmetatable("x", {__gc = print}) end)
		assert(err:find("^test:%d+: bad argument #1 to 'setmetatable' %(table expected, got string%)"), err)

		do setmetatable({}, {__gc = function() error("boom") end}) end
		collectgarbage() collectgarbage()
	)lua") == "");
}

TEST_CASE("__gc on tables fires at lua_close", "[compat]") {
    closed_finalizers = 0;
    {
        lua_state s;
        lua_pushcfunction(s.L, [](lua_State *) -> int {
            ++closed_finalizers;
            return 0;
        });
        lua_setglobal(s.L, "bump");
        REQUIRE(s.run(R"lua(
			holder = setmetatable({}, {__gc = function(t) bump() end})
			local also = setmetatable({}, {__gc = function(t) bump() end})
			anchor = {also}
		)lua") == "");
        REQUIRE(closed_finalizers == 0);
    }
    REQUIRE(closed_finalizers == 2);
}

TEST_CASE("print writes one flushed line", "[compat]") {
    lua_state s;
    std::fflush(stdout);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    int saved = dup(STDOUT_FILENO);
    REQUIRE(saved >= 0);
    REQUIRE(dup2(fds[1], STDOUT_FILENO) == STDOUT_FILENO);
    std::string err = s.run(
        "print('a', 1, nil, true, setmetatable({}, {__tostring = function() return 'obj' end}))");
    // Without a flush in print the line is still in stdio's buffer: the pipe
    // sees end of file once every write end is closed.
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fds[1]);
    char buf[256];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    close(fds[0]);
    CHECK(err == "");
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<size_t>(n)) == "a\t1\tnil\ttrue\tobj\n");
}

TEST_CASE("profile.start and profile.stop", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local n, once = calibrate()
		profile.start()
		work(4 * n)
		local four = profile.stop()
		assert(four > 2 * once and four < 10 * once, four / once)
		profile.start()
		raises("start profile more than once", profile.start)
		profile.stop()
		raises("Call profile.start() before profile.stop()", profile.stop)
		raises("bad argument #1", profile.start, 1)
	)lua") == "");
}

// The coroutine does work(n), then work(8n); the resumer does work(30n) in
// between: counted by mistake, that would make ~39 units instead of 9,
// counting the last stretch twice 17, dropping it 1. The bounds leave room
// for a loaded VM, where the thread CPU clock also counts stolen time.
TEST_CASE("profile.resume counts only the coroutine's own time", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local n, once = calibrate()
		local co = coroutine.create(function()
			profile.start()
			work(n)
			coroutine.yield("paused")
			work(8 * n)
			return profile.stop()
		end)
		local ok, v = profile.resume(co)
		assert(ok and v == "paused")
		work(30 * n)
		local ok2, total = profile.resume(co)
		assert(ok2 and total > 5 * once and total < 14 * once, total / once)

		local outside = coroutine.create(function() work(n) coroutine.yield() work(8 * n) end)
		profile.start(outside)
		profile.resume(outside)
		work(30 * n)
		profile.resume(outside)
		local t = profile.stop(outside)
		assert(t > 5 * once and t < 14 * once, t / once)
	)lua") == "");
}

TEST_CASE("profile.resume and profile.wrap behave like coroutine's", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local co = coroutine.create(function(a, b)
			local c = coroutine.yield(a + b)
			return c * 2, "done"
		end)
		local r = {profile.resume(co, 1, 2)}
		assert(#r == 2 and r[1] == true and r[2] == 3)
		r = {profile.resume(co, 5)}
		assert(r[1] == true and r[2] == 10 and r[3] == "done")
		assert(coroutine.status(co) == "dead")
		r = {profile.resume(co)}
		assert(r[1] == false and r[2] == "cannot resume dead coroutine")

		local bad = coroutine.create(function() error({code = 1}) end)
		local ok, e = profile.resume(bad)
		assert(not ok and e.code == 1)
		ok, e = profile.resume(coroutine.running())
		assert(not ok and e == "cannot resume non-suspended coroutine")
		raises("bad argument #1", profile.resume, 1)

		local across = coroutine.create(function()
			return pcall(function() return coroutine.yield(1) + 1 end)
		end)
		assert(select(2, profile.resume(across)) == 1)
		local ok3, pok, v = profile.resume(across, 41)
		assert(ok3 and pok and v == 42)

		local gen = profile.wrap(function(x) while true do x = coroutine.yield(x * 2) end end)
		assert(gen(1) == 2 and gen(5) == 10)
		local boom = profile.wrap(function() error("bad thing") end)
		raises("bad thing", boom)
		local done = profile.wrap(function() end)
		done()
		raises("cannot resume dead coroutine", done)
		raises("bad argument #1", profile.wrap, 1)
	)lua") == "");
}

TEST_CASE("debugchannel carries messages between its two ends", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		local writer, ptr = debugchannel.create()
		assert(type(ptr) == "userdata")
		local reader = debugchannel.connect(ptr)
		assert(reader:read() == nil)
		writer:write("cmd\0payload")
		writer:write("second")
		assert(reader:read() == "cmd\0payload")
		assert(reader:read() == "second")
		reader:write("back")
		assert(writer:read() == "back")
		assert(select("#", reader:read(0.01)) == 0)
		raises("new channel failed", debugchannel.connect, ptr)
		raises("Invalid channel pointer", debugchannel.connect, nil)
		debugchannel.release(reader)
		debugchannel.release(reader)
		raises("released", reader.read, reader)
		writer = nil
		collectgarbage()
	)lua") == "");
}

TEST_CASE("debugchannel wakes a reader in another thread", "[compat]") {
    lua_state a;
    lua_state b;
    REQUIRE(a.run("writer, ptr = debugchannel.create()") == "");
    lua_getglobal(a.L, "ptr");
    lua_pushlightuserdata(b.L, lua_touserdata(a.L, -1));
    lua_setglobal(b.L, "ptr");
    lua_pop(a.L, 1);
    REQUIRE(b.run("reader = debugchannel.connect(ptr)") == "");

    std::string got;
    auto began = std::chrono::steady_clock::now();
    std::thread reader_thread([&] {
        // Waits at most 5 seconds (read's argument is tenths of it).
        got = b.run("received = reader:read(50) assert(received == 'hello', tostring(received))");
    });
    REQUIRE(a.run("writer:write('hello')") == "");
    reader_thread.join();
    CHECK(got == "");
    CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(4));
}

TEST_CASE("debugchannel.sethook pauses a coroutine on line events", "[compat]") {
    lua_state s;
    REQUIRE(s.run(R"lua(
		local function body()
			local x = 0
			for i = 1, 3 do
				x = x + i
			end
			return x
		end
		for _, resume in ipairs({coroutine.resume, profile.resume}) do
			local co = coroutine.create(body)
			local lines = 0
			debugchannel.sethook(co, function(event, line)
				assert(event == "line" and type(line) == "number")
				lines = lines + 1
				return true
			end, "l")
			local pauses, result = 0
			for _ = 1, 100 do
				local ok, v = resume(co)
				assert(ok, v)
				if coroutine.status(co) == "dead" then result = v break end
				pauses = pauses + 1
			end
			debugchannel.sethook(co)
			assert(result == 6 and pauses > 3 and pauses == lines, pauses)
		end

		local events = 0
		debugchannel.sethook(function() events = events + 1 return true end, "", 1)
		local y = 0
		for i = 1, 10 do y = y + i end
		debugchannel.sethook()
		assert(events > 0 and y == 55)
		local after = events
		for i = 1, 10 do y = y + i end
		assert(events == after)
	)lua") == "");
}

TEST_CASE("memory and codecache modules", "[compat]") {
    lua_state s;
    REQUIRE(s.run(helpers) == "");
    REQUIRE(s.run(R"lua(
		assert(memory.total() == 0 and memory.block() == 0 and next(memory.info()) == nil)
		local before = memory.current()
		assert(before > 0)
		local big = {}
		for i = 1, 100000 do big[i] = i end
		assert(memory.current() > before + 500000)
		assert(memory.jestat()["stats.allocated"] == 0)
		assert(memory.mallctl("opt.narenas") == 0 and memory.profactive(true) == false)
		memory.dump() memory.dumpinfo() memory.dumpheap()

		assert(codecache.mode() == "ON")
		assert(codecache.mode("EXIST") == "ON" and codecache.mode() == "EXIST")
		raises("invalid option", codecache.mode, "bogus")
		assert(codecache.mode("ON") == "EXIST" and codecache.mode() == "ON")
		assert(codecache.loadfile == loadfile)
		codecache.clear()
	)lua") == "");
}
