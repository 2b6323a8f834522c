// The bson module against upstream's golden vectors (test/vectors/bson.jsonl),
// its value rules on LuaJIT's doubles, and hostile input: malformed bytes
// must raise a Lua error, never crash.
#include "hexdigest.h"
#include "lua_chunk.h"
#include "modules.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;

std::vector<json> load_bson_records() {
    std::filesystem::path dir = "test/vectors";
    if (const char *root = std::getenv("SKYNET_SOURCE_DIR"))
        dir = std::filesystem::path(root) / "test/vectors";
    std::ifstream in(dir / "bson.jsonl");
    REQUIRE(in.good());
    std::vector<json> records;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            records.push_back(json::parse(line));
    return records;
}

const char *helpers = R"lua(
bson = require "bson"
H = {}

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
H.hex = hex

local function eval(expr)
	return assert(loadstring("return " .. expr))()
end

-- What decoding gives back for a value given to encode: sub-documents as
-- tables, int64 values a double holds as numbers.
local function expected(v)
	local t = type(v)
	if t == "userdata" then
		return bson.decode(v)
	elseif t == "string" and bson.type(v) == "int64" then
		local _, n = bson.type(v)
		return n
	end
	return v
end

local function same(a, b)
	if type(a) ~= type(b) then return false end
	if type(a) ~= "table" then return a == b end
	for k, v in pairs(a) do
		if not same(v, b[k]) then return false end
	end
	for k in pairs(b) do
		if a[k] == nil then return false end
	end
	return true
end
H.same = same

function H.encode_order(expr, want_hex)
	local doc = eval(expr)
	local got = hex(tostring(doc))
	if got ~= want_hex then
		return "encoded " .. got
	end
	-- decoding the bytes gives the arguments back
	local args = eval(expr:gsub("^bson.encode_order", "(function(...) return {...} end)"))
	local decoded = bson.decode(doc)
	for i = 1, #args, 2 do
		if not same(decoded[args[i]], expected(args[i + 1])) then
			return "decoded field " .. args[i] .. " differs"
		end
	end
	return true
end

function H.type(expr, want)
	local name = bson.type(eval(expr))
	if name ~= want then
		return "bson.type is " .. tostring(name)
	end
	return true
end

function H.decode_error(bytes)
	local ok, err = pcall(bson.decode, bytes)
	return not ok, tostring(err)
end
)lua";

struct lua_vm {
    std::unique_ptr<lua_State, decltype(&lua_close)> L{luaL_newstate(), lua_close};

    lua_vm() {
        luaL_openlibs(L.get());
        lua_getglobal(L.get(), "package");
        lua_getfield(L.get(), -1, "preload");
        lua_pushcfunction(L.get(), luaopen_bson);
        lua_setfield(L.get(), -2, "bson");
        lua_settop(L.get(), 0);
        REQUIRE(run_chunk(L.get(), helpers).empty());
    }

    // H[fn](args...): "" when it returned true, else its message or error.
    std::string call(const char *fn, std::initializer_list<std::string> args) {
        lua_State *s = L.get();
        lua_settop(s, 0);
        lua_getglobal(s, "H");
        lua_getfield(s, -1, fn);
        for (const std::string &a : args)
            lua_pushlstring(s, a.data(), a.size());
        if (lua_pcall(s, static_cast<int>(args.size()), 2, 0) != 0)
            return std::string("error: ") + lua_tostring(s, -1);
        if (lua_toboolean(s, -2) && lua_type(s, -2) == LUA_TBOOLEAN)
            return "";
        const char *why = lua_tostring(s, -2);
        return why ? why : "false";
    }

    std::string run(const char *code) { return run_chunk(L.get(), code); }
};

} // namespace

TEST_CASE("bson encodes and decodes every bson.jsonl record as upstream", "[bson]") {
    lua_vm vm;
    std::vector<json> records = load_bson_records();
    CHECK(records.size() == 21);
    for (const json &rec : records) {
        std::string kind = rec.at("kind");
        std::string expr = rec.at("lua");
        INFO(kind << ": " << expr);
        if (kind == "encode_order")
            CHECK(vm.call("encode_order", {expr, rec.at("bson_hex")}).empty());
        else if (kind == "type")
            CHECK(vm.call("type", {expr, rec.at("type")}).empty());
        else
            FAIL("unknown kind " << kind);
    }
}

TEST_CASE("bson numbers: integral doubles below 2^53 are integers", "[bson]") {
    lua_vm vm;
    CHECK(vm.run(R"lua(
		local function field(v) return H.hex(tostring(bson.encode_order("v", v))):sub(9, 10) end
		assert(field(0) == "10" and field(-1) == "10" and field(2^31 - 1) == "10")
		assert(field(2^31) == "12" and field(-2^31 - 1) == "12" and field(2^53 - 1) == "12")
		assert(field(2^53) == "01" and field(-2^53) == "01" and field(2^63) == "01")
		assert(field(0.5) == "01" and field(-0.0) == "01" and field(1/0) == "01")
		-- int64 past 2^53 travels tagged and re-encodes bit for bit
		local big = bson.int64("9007199254740993")
		local doc = bson.encode_order("id", big)
		assert(H.hex(tostring(doc)) == "1100000012696400" .. "0100000000002000" .. "00")
		local back = bson.decode(doc).id
		assert(back == big and bson.type(back) == "int64")
		assert(tostring(bson.encode_order("id", back)) == tostring(doc))
		assert(bson.decode(bson.encode_order("id", bson.int64(-5))).id == -5)
		assert(bson.int64(big) == big)
		assert(not pcall(bson.int64, 1.5))
		assert(not pcall(bson.int64, "12x"))
	)lua")
              .empty());
}

TEST_CASE("bson tables: arrays, documents, __len, __pairs, errors", "[bson]") {
    lua_vm vm;
    CHECK(vm.run(R"lua(
		local d = bson.decode(bson.encode { a = { 1, 2, 3 }, e = {}, m = { x = { y = "z" } } })
		assert(H.same(d, { a = { 1, 2, 3 }, e = {}, m = { x = { y = "z" } } }))
		-- an array part whose first key is not 1 is a document: its keys are numbers
		local ok, err = pcall(bson.encode, { t = { [2] = 1 } })
		assert(not ok and err:find("key can't be number"), err)
		ok, err = pcall(bson.encode, { t = setmetatable({}, { __len = function() return 2 end }) })
		assert(not ok and err:find("hole"), err)
		local arr = setmetatable({ n = 3 }, { __len = function(s) return s.n end,
			__index = function(_, i) return i * 10 end })
		assert(H.same(bson.decode(bson.encode { r = arr }).r, { 10, 20, 30 }))
		local hidden = { a = 1, b = 2 }
		local obj = setmetatable({}, { __pairs = function() return next, hidden, nil end })
		assert(H.same(bson.decode(bson.encode(obj)), hidden))
		assert(H.same(bson.decode(bson.encode { o = obj }).o, hidden))
		local loop = {} loop.self = loop
		ok, err = pcall(bson.encode, loop)
		assert(not ok and err:find("Too depth"), err)
		ok, err = pcall(bson.encode, { f = print })
		assert(not ok and err:find("Invalid value type : function"), err)
		ok, err = pcall(bson.encode, { ["\255"] = 1 })
		assert(not ok and err:find("Invalid utf8 string"), err)
		ok, err = pcall(bson.encode_order, "a")
		assert(not ok and err:find("Invalid ordered dict"), err)
		ok, err = pcall(bson.encode, { o = "\0\7short" })
		assert(not ok and err:find("Invalid object id"), err)
		ok, err = pcall(bson.encode, { u = newproxy() })
		assert(not ok and err:find("Invalid bson document"), err)
		ok, err = pcall(bson.encode, { o = "\0\99x" })
		assert(not ok and err:find("Invalid subtype 99"), err)
	)lua")
              .empty());
}

TEST_CASE("bson tagged values decode back to themselves", "[bson]") {
    lua_vm vm;
    CHECK(vm.run(R"lua(
		local oid = bson.objectid()
		local values = {
			bson.null, bson.minkey, bson.maxkey, bson.date(1700000000), bson.timestamp(7, 3),
			bson.regex("a.b", "im"), bson.regex("x"), bson.binary("\0\1\255"), oid,
		}
		for i, v in ipairs(values) do
			local back = bson.decode(bson.encode_order("v", v)).v
			assert(back == v, "value " .. i .. " " .. H.hex(v) .. " came back as " .. H.hex(back))
		end
		assert(oid ~= bson.objectid(), "objectids differ")
		local t, s, inc = bson.type(bson.timestamp(7, 3))
		assert(t == "timestamp" and s == 7 and inc == 3)
		local r, p, o = bson.type(bson.regex("a.b", "im"))
		assert(r == "regex" and p == "a.b" and o == "im")
		local b, data, sub = bson.type(bson.binary("hi"))
		assert(b == "binary" and data == "hi" and sub == 0)
		local dt, sec = bson.type(bson.date(1234))
		assert(dt == "date" and sec == 1234)
		local ot, hexid = bson.type(bson.objectid("0123456789abcdef01234567"))
		assert(ot == "objectid" and hexid == "0123456789abcdef01234567")
		assert(bson.type(bson.null) == "nil" and bson.type(nil) == "nil")
	)lua")
              .empty());
}

TEST_CASE("bson makeindex replaces fixed-size fields in place", "[bson]") {
    lua_vm vm;
    CHECK(vm.run(R"lua(
		local b = bson.encode_order("a", 1, "s", "str", "b", true, "d", 0.5,
			"h", bson.date(10), "i", bson.int64(2^40), "j", bson.objectid("0123456789abcdef01234567"))
		local ok, err = pcall(function() b.a = 2 end)
		assert(not ok and err:find("call makeindex first"), err)
		b:makeindex()
		b.a = 2 b.b = false b.d = 1.5 b.h = bson.date(20) b.i = 2^41
		b.j = bson.objectid("ffffffffffffffffffffffff")
		local t = b:decode()
		assert(t.a == 2 and t.b == false and t.d == 1.5 and t.i == 2^41 and t.s == "str")
		assert(t.h == bson.date(20) and t.j == bson.objectid("ffffffffffffffffffffffff"))
		ok, err = pcall(function() b.s = "x" end)
		assert(not ok and err:find("Can't replace key"), err)
		ok, err = pcall(function() b.a = 0.5 end)
		assert(not ok and err:find("32bit integer"), err)
		assert(#b == #tostring(b))
	)lua")
              .empty());
}

TEST_CASE("bson decode rejects malformed documents with an error", "[bson]") {
    lua_vm vm;
    const char *inputs[] = {
        "",                                 // nothing
        "0400000000",                       // length below 5
        "ffffff7f00",                       // length past the input
        "0600000000",                       // document end is not 0... length 6, 1 byte short
        "0c0000000261000000008000",         // string length 2^31
        "0d00000002610000000000ff00",       // string length 0
        "0a000000036100ff000000",           // sub-document length past its parent
        "0b0000000561001000000000",         // binary longer than the document
        "0c000000610100000000000000",       // unknown type 0x61
        "0a00000001610000000000",           // double cut short
        "0a0000000b6100410000",             // regex without its options terminator
        "0e0000000c6100ffffffff0000000000", // dbpointer with a negative length
    };
    for (const char *hex : inputs) {
        INFO(hex);
        CHECK(vm.call("decode_error", {from_hex(hex)}).empty());
    }
    // Nested documents {a = {a = ...}}: 100 levels decode, 10000 are refused
    // by the depth bound instead of overflowing the C stack.
    auto nested = [](size_t depth) {
        std::string doc;
        for (size_t i = 0; i < depth; ++i)
            doc += std::string("\x00\x00\x00\x00\x03\x61\x00", 7);
        doc += std::string("\x05\x00\x00\x00\x00", 5) + std::string(depth, '\0');
        for (size_t i = 0; i < depth; ++i) { // document i ends i bytes before the end
            auto len = static_cast<uint32_t>(doc.size() - i * 7 - i);
            for (size_t b = 0; b < 4; ++b)
                doc[i * 7 + b] = static_cast<char>(len >> (8 * b));
        }
        return doc;
    };
    CHECK(vm.call("decode_error", {nested(100)}) == "false");
    CHECK(vm.call("decode_error", {nested(10000)}).empty());
}

TEST_CASE("bson decode survives truncated and mutated documents", "[bson]") {
    lua_vm vm;
    REQUIRE(vm.run(R"lua(
		sample = tostring(bson.encode {
			a = 1, b = "text", c = { 1, 2, { x = bson.null } }, d = bson.regex("p", "o"),
			e = bson.binary("bin"), f = bson.date(5), g = bson.timestamp(1, 2), h = 2^40,
			i = bson.objectid(), j = bson.minkey, k = 0.25, l = true,
		})
	)lua")
                .empty());
    lua_State *L = vm.L.get();
    lua_getglobal(L, "sample");
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    std::string sample(s, n);
    std::mt19937 rng(0xb5011);
    int raised = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string input = sample;
        if (i % 2 == 0) {
            input.resize(std::uniform_int_distribution<size_t>(0, sample.size() - 1)(rng));
        } else {
            for (int k = 0; k < 3; ++k)
                input[std::uniform_int_distribution<size_t>(0, input.size() - 1)(rng)] =
                    static_cast<char>(rng());
        }
        lua_settop(L, 0);
        lua_getglobal(L, "bson");
        lua_getfield(L, -1, "decode");
        lua_pushlstring(L, input.data(), input.size());
        int rc = lua_pcall(L, 1, 1, 0);
        REQUIRE((rc == 0 || rc == LUA_ERRRUN));
        raised += rc != 0;
    }
    CHECK(raised >= 10000); // every truncation fails
}
