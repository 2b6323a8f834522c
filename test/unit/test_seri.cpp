// lua-seri against upstream's golden vectors (test/vectors/seri*.jsonl), and
// against hostile input: a malformed stream must raise a Lua error, never crash.
#include "lua/seri.h"

#include "hexdigest.h"
#include "skynet_malloc.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using json = nlohmann::json;

std::vector<json> load_records(const char *file) {
    std::filesystem::path dir = "test/vectors";
    if (const char *root = std::getenv("SKYNET_SOURCE_DIR"))
        dir = std::filesystem::path(root) / "test/vectors";
    std::ifstream in(dir / file);
    INFO("vector file " << (dir / file).string()
                        << " (run from the repo root or set SKYNET_SOURCE_DIR)");
    REQUIRE(in.good());
    std::vector<json> records;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            records.push_back(json::parse(line));
    return records;
}

// skynet.packstring: the packed bytes as a Lua string.
int packstring(lua_State *L) {
    lua_pushcfunction(L, luaseri_pack);
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 2);
    auto *msg = static_cast<const char *>(lua_touserdata(L, -2));
    auto size = static_cast<size_t>(lua_tointeger(L, -1));
    lua_pushlstring(L, msg, size);
    skynet_free(const_cast<char *>(msg));
    return 1;
}

// Unpacks a copy of the string held in a heap block of exactly its size, the
// way a message arrives, so a read past the end shows under AddressSanitizer.
int unpack_buffer(lua_State *L) {
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    auto copy = std::make_unique_for_overwrite<char[]>(n);
    std::memcpy(copy.get(), s, n);
    lua_settop(L, 0);
    lua_pushlightuserdata(L, copy.get());
    lua_pushinteger(L, static_cast<lua_Integer>(n));
    return luaseri_unpack(L);
}

const char *helpers = R"(
local packstring, unpack_string, unpack_buffer = ...
local H = {}

local function list(...)
	return { n = select("#", ...), ... }
end

-- Structural equality; table keys match any structurally equal key.
local function deep_equal(a, b)
	if a == b then
		return true
	end
	if type(a) ~= "table" or type(b) ~= "table" then
		return false
	end
	local table_keys = {}
	local nb = 0
	for k in pairs(b) do
		nb = nb + 1
		if type(k) == "table" then
			table_keys[#table_keys + 1] = k
		end
	end
	local na = 0
	for k, v in pairs(a) do
		na = na + 1
		if type(k) == "table" then
			local found
			for i, bk in ipairs(table_keys) do
				if deep_equal(k, bk) and deep_equal(v, b[bk]) then
					found = i
					break
				end
			end
			if not found then
				return false
			end
			table.remove(table_keys, found)
		elseif not deep_equal(v, rawget(b, k)) then
			return false
		end
	end
	return na == nb
end

local function same_list(got, want)
	if got.n ~= want.n then
		return false, string.format("%d values, want %d", got.n, want.n)
	end
	for i = 1, want.n do
		if not deep_equal(got[i], want[i]) then
			return false, string.format("value %d is %s, want %s", i, tostring(got[i]), tostring(want[i]))
		end
	end
	return true
end

function H.eval(expr)
	return list(assert(loadstring("return " .. expr))())
end

function H.pack(expr)
	local v = H.eval(expr)
	return packstring(unpack(v, 1, v.n))
end

function H.decodes_to(bytes, expr)
	local want = H.eval(expr)
	local ok, why = same_list(list(unpack_string(bytes)), want)
	if not ok then
		return false, "from a string: " .. why
	end
	ok, why = same_list(list(unpack_buffer(bytes)), want)
	if not ok then
		return false, "from a buffer: " .. why
	end
	return true
end

function H.round_trip(expr)
	return H.decodes_to(H.pack(expr), expr)
end

function H.repack(bytes)
	return packstring(unpack_string(bytes))
end

-- Both entry points must raise; returns their messages.
function H.decode_errors(bytes)
	local ok1, e1 = pcall(unpack_string, bytes)
	local ok2, e2 = pcall(unpack_buffer, bytes)
	return not ok1 and not ok2, tostring(e1), tostring(e2)
end

function H.pack_error(expr)
	local v = H.eval(expr)
	local ok, err = pcall(packstring, unpack(v, 1, v.n))
	return not ok, tostring(err)
end

return H
)";

struct call_result {
    bool ok = false;
    std::string error;
    std::vector<std::string> values; // strings as is; booleans and nil spelled out
};

// Lua's allocation, refused past a budget: a decoder that trusts a forged
// length then fails with LUA_ERRMEM instead of quietly taking gigabytes.
struct memory_budget {
    size_t limit;
    size_t used = 0;
};

void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    auto *budget = static_cast<memory_budget *>(ud);
    if (ptr == nullptr)
        osize = 0;
    if (nsize == 0) {
        std::free(ptr);
        budget->used -= osize;
        return nullptr;
    }
    if (nsize > osize && budget->used + (nsize - osize) > budget->limit)
        return nullptr;
    void *p = std::realloc(ptr, nsize);
    if (p != nullptr)
        budget->used = budget->used - osize + nsize;
    return p;
}

class lua_vm {
  public:
    explicit lua_vm(size_t memory_limit = SIZE_MAX)
        : budget_(std::make_unique<memory_budget>(memory_budget{memory_limit})),
          L(lua_newstate(budget_alloc, budget_.get())) {
        REQUIRE(L != nullptr);
        luaL_openlibs(L);
        REQUIRE(luaL_loadstring(L, helpers) == 0);
        lua_pushcfunction(L, packstring);
        lua_pushcfunction(L, luaseri_unpack);
        lua_pushcfunction(L, unpack_buffer);
        REQUIRE(lua_pcall(L, 3, 1, 0) == 0);
        helpers_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_vm(const lua_vm &) = delete;
    lua_vm &operator=(const lua_vm &) = delete;
    ~lua_vm() { lua_close(L); }

    call_result call(const char *fn, std::initializer_list<std::string_view> args) {
        call_result r;
        lua_settop(L, 0);
        lua_rawgeti(L, LUA_REGISTRYINDEX, helpers_ref_);
        lua_getfield(L, -1, fn);
        lua_remove(L, 1);
        for (std::string_view a : args)
            lua_pushlstring(L, a.data(), a.size());
        if (lua_pcall(L, static_cast<int>(args.size()), LUA_MULTRET, 0) != 0) {
            r.error = lua_tostring(L, -1);
            lua_settop(L, 0);
            return r;
        }
        r.ok = true;
        for (int i = 1; i <= lua_gettop(L); i++) {
            switch (lua_type(L, i)) {
            case LUA_TSTRING: {
                size_t n;
                const char *s = lua_tolstring(L, i, &n);
                r.values.emplace_back(s, n);
                break;
            }
            case LUA_TBOOLEAN:
                r.values.emplace_back(lua_toboolean(L, i) ? "true" : "false");
                break;
            default:
                r.values.emplace_back(lua_typename(L, lua_type(L, i)));
            }
        }
        lua_settop(L, 0);
        return r;
    }

    // The helper's first result, which must be a string (packed bytes).
    std::string bytes(const char *fn, std::string_view arg) {
        call_result r = call(fn, {arg});
        INFO(fn << " failed: " << r.error);
        REQUIRE(r.ok);
        REQUIRE(r.values.size() == 1);
        return r.values[0];
    }

    lua_State *state() const { return L; }

  private:
    std::unique_ptr<memory_budget> budget_;
    lua_State *L;
    int helpers_ref_;
};

// Records one record's failures; the record passes if none was seen.
class record_check {
  public:
    explicit record_check(std::string name) : name_(std::move(name)) {}

    void expect(bool ok, std::string_view what) {
        if (!ok) {
            FAIL_CHECK(name_ << ": " << what);
            passed_ = false;
        }
    }

    // A helper that answers (true) or (false, reason).
    void expect_true(const call_result &r, std::string_view what) {
        if (!r.ok)
            expect(false, std::string(what) + " raised " + r.error);
        else if (r.values.empty() || r.values[0] != "true")
            expect(false, std::string(what) + ": " + (r.values.size() > 1 ? r.values[1] : "false"));
    }

    bool passed() const { return passed_; }

  private:
    std::string name_;
    bool passed_ = true;
};

bool has(const json &rec, const char *key) {
    return rec.contains(key);
}
std::string text(const json &rec, const char *key) {
    return rec.at(key).get<std::string>();
}

bool check_seri_record(lua_vm &vm, const json &rec) {
    record_check check(text(rec, "name"));
    std::string expr = text(rec, "lua");
    bool exact = rec.at("exact").get<bool>();
    call_result packed = vm.call("pack", {expr});
    check.expect(packed.ok && packed.values.size() == 1, "pack failed: " + packed.error);
    if (!check.passed())
        return false;
    const std::string &bytes = packed.values[0];

    if (has(rec, "hex")) {
        std::string want = has(rec, "luajit_hex") ? text(rec, "luajit_hex") : text(rec, "hex");
        if (exact)
            check.expect(to_hex(bytes) == want, "packed " + to_hex(bytes) + ", want " + want);
        check.expect_true(vm.call("decodes_to", {from_hex(text(rec, "hex")), expr}),
                          "decoding hex");
        if (has(rec, "luajit_hex"))
            check.expect_true(vm.call("decodes_to", {from_hex(want), expr}), "decoding luajit_hex");
    } else {
        // Too large to store: only the length, the head and a digest are kept.
        if (exact) {
            check.expect(bytes.size() == rec.at("len").get<size_t>(), "packed length differs");
            check.expect(to_hex(bytes.substr(0, 64)) == text(rec, "head_hex"),
                         "packed head differs");
            check.expect(sha256_hex(bytes) == text(rec, "sha256"), "packed sha256 differs");
        }
    }
    check.expect_true(vm.call("round_trip", {expr}), "round trip");
    return check.passed();
}

bool check_extra_record(lua_vm &vm, const json &rec) {
    record_check check(text(rec, "name"));
    std::string kind = text(rec, "kind");
    if (kind == "pack") {
        std::string bytes = vm.bytes("pack", text(rec, "lua"));
        check.expect(to_hex(bytes) == text(rec, "hex"), "packed " + to_hex(bytes));
    } else if (kind == "decode") {
        std::string input = from_hex(text(rec, "input_hex"));
        check.expect_true(vm.call("decodes_to", {input, text(rec, "lua")}), "decoding input_hex");
        std::string canonical = to_hex(vm.bytes("repack", input));
        check.expect(canonical == text(rec, "canonical_hex"), "re-packed as " + canonical);
    } else if (kind == "decode_error") {
        call_result r = vm.call("decode_errors", {from_hex(text(rec, "input_hex"))});
        check.expect(r.ok && r.values.size() == 3 && r.values[0] == "true",
                     "decoded without an error");
        if (check.passed()) {
            // Upstream's stream errors carry its own C line numbers: match the prefix only.
            std::string want = text(rec, "error");
            if (want.starts_with("Invalid serialize stream"))
                want = "Invalid serialize stream";
            for (int i = 1; i <= 2; i++)
                check.expect(r.values[i].find(want) != std::string::npos,
                             "error was: " + r.values[i]);
        }
    } else if (kind == "pack_error") {
        call_result r = vm.call("pack_error", {text(rec, "lua")});
        check.expect(r.ok && r.values.size() == 2 && r.values[0] == "true",
                     "packed without an error");
        if (check.passed())
            check.expect(r.values[1].find(text(rec, "error")) != std::string::npos,
                         "error was: " + r.values[1]);
    } else {
        check.expect(false, "unknown kind " + kind);
    }
    return check.passed();
}

// Runs unpack on bytes under pcall, from a string and from an exact-size
// buffer. Returns how many of the two raised; anything but a runtime error is
// a failure of the decoder itself.
int unpack_both(lua_State *L, const std::string &bytes, bool &bad_status) {
    int raised = 0;
    for (lua_CFunction f : {luaseri_unpack, unpack_buffer}) {
        lua_settop(L, 0);
        lua_pushcfunction(L, f);
        lua_pushlstring(L, bytes.data(), bytes.size());
        int rc = lua_pcall(L, 1, LUA_MULTRET, 0);
        if (rc != 0)
            raised++;
        if (rc != 0 && rc != LUA_ERRRUN)
            bad_status = true;
    }
    lua_settop(L, 0);
    return raised;
}

} // namespace

TEST_CASE("sha256 helper matches the FIPS 180-4 examples", "[seri]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("seri packs and decodes every seri.jsonl record as upstream", "[seri]") {
    lua_vm vm;
    std::vector<json> records = load_records("seri.jsonl");
    size_t passed = 0;
    for (const json &rec : records)
        passed += check_seri_record(vm, rec) ? 1 : 0;
    INFO(passed << " of " << records.size() << " seri.jsonl records pass");
    CHECK(records.size() == 143);
    CHECK(passed == records.size());
}

TEST_CASE("seri handles every seri_extra.jsonl record as upstream", "[seri]") {
    lua_vm vm;
    std::vector<json> records = load_records("seri_extra.jsonl");
    size_t passed = 0;
    for (const json &rec : records)
        passed += check_extra_record(vm, rec) ? 1 : 0;
    INFO(passed << " of " << records.size() << " seri_extra.jsonl records pass");
    CHECK(records.size() == 41);
    CHECK(passed == records.size());
}

TEST_CASE("seri unpack of no message returns nothing", "[seri]") {
    lua_vm vm;
    lua_State *L = vm.state();
    lua_pushcfunction(L, luaseri_unpack);
    lua_pushnil(L);
    REQUIRE(lua_pcall(L, 1, LUA_MULTRET, 0) == 0);
    CHECK(lua_gettop(L) == 0);

    char byte = 0x0a;
    lua_pushcfunction(L, luaseri_unpack);
    lua_pushlightuserdata(L, &byte);
    lua_pushinteger(L, 0);
    REQUIRE(lua_pcall(L, 2, LUA_MULTRET, 0) == 0);
    CHECK(lua_gettop(L) == 0);

    lua_pushcfunction(L, luaseri_unpack);
    lua_pushlightuserdata(L, nullptr);
    lua_pushinteger(L, 3);
    REQUIRE(lua_pcall(L, 2, LUA_MULTRET, 0) == LUA_ERRRUN);
    CHECK(std::string(lua_tostring(L, -1)).find("deserialize null pointer") != std::string::npos);
    lua_settop(L, 0);

    lua_pushcfunction(L, luaseri_unpack);
    lua_pushlightuserdata(L, &byte);
    lua_pushinteger(L, -1);
    CHECK(lua_pcall(L, 2, LUA_MULTRET, 0) == LUA_ERRRUN);
    lua_settop(L, 0);
}

TEST_CASE("seri carries a light userdata pointer as its 8 bytes", "[seri]") {
    lua_vm vm;
    lua_State *L = vm.state();
    int marker = 0;
    lua_pushcfunction(L, luaseri_pack);
    lua_pushlightuserdata(L, &marker);
    REQUIRE(lua_pcall(L, 1, 2, 0) == 0);
    auto *msg = static_cast<char *>(lua_touserdata(L, 1));
    REQUIRE(lua_tointeger(L, 2) == 9);
    CHECK(msg[0] == 0x03);
    void *p;
    std::memcpy(&p, msg + 1, sizeof p);
    CHECK(p == &marker);

    lua_pushcfunction(L, luaseri_unpack);
    lua_insert(L, 1);
    REQUIRE(lua_pcall(L, 2, LUA_MULTRET, 0) == 0);
    REQUIRE(lua_gettop(L) == 1);
    CHECK(lua_type(L, 1) == LUA_TLIGHTUSERDATA);
    CHECK(lua_touserdata(L, 1) == &marker);
    skynet_free(msg);
}

TEST_CASE("seri numbers outside the integer rule travel as reals", "[seri]") {
    lua_vm vm;
    CHECK(to_hex(vm.bytes("pack", "0/0")).substr(0, 2) == "42");
    CHECK(to_hex(vm.bytes("pack", "2^63")) == "42000000000000e043");
    CHECK(to_hex(vm.bytes("pack", "-2^63")) == "320000000000000080");
    CHECK(to_hex(vm.bytes("pack", "-2^63 - 2^11")) ==
          "42010000000000e0c3"); // next double below -2^63
    CHECK(to_hex(vm.bytes("pack", "2^53 + 2")) == "320200000000002000");
    // NaN never equals itself, so it cannot go through decodes_to.
    lua_State *L = vm.state();
    std::string bytes = from_hex("42000000000000f87f");
    lua_pushcfunction(L, luaseri_unpack);
    lua_pushlstring(L, bytes.data(), bytes.size());
    REQUIRE(lua_pcall(L, 1, 1, 0) == 0);
    CHECK(std::isnan(lua_tonumber(L, -1)));
    lua_settop(L, 0);
}

TEST_CASE("seri round-trips a large mixed table through the growing buffer", "[seri]") {
    lua_vm vm;
    const char *expr =
        "(function()"
        " local t = {}"
        " for i = 1, 3000 do t[i] = string.rep('v', i % 300) end"
        " for i = 1, 2000 do t['k' .. i] = { i, -i, i / 7, i % 2 == 0, { s = tostring(i) } } end"
        " t.big = string.rep('b', 70000)"
        " return t, 'tail', nil, 1e300 end)()";
    record_check check("large table");
    check.expect_true(vm.call("round_trip", {expr}), "round trip");
    CHECK(check.passed());
}

TEST_CASE("seri pack errors propagate from __pairs and leave the state usable", "[seri]") {
    lua_vm vm;
    call_result r = vm.call(
        "pack_error",
        {"string.rep('x', 5000), setmetatable({}, {__pairs = function() error('boom') end})"});
    REQUIRE(r.ok);
    CHECK(r.values[0] == "true");
    CHECK(r.values[1].find("boom") != std::string::npos);

    r = vm.call("pack_error", {"{ string.rep('x', 5000), { co = coroutine.create(print) } }"});
    REQUIRE(r.ok);
    CHECK(r.values[0] == "true");
    CHECK(r.values[1].find("Unsupport type thread to serialize") != std::string::npos);

    // __pairs is honoured at any depth, with an ordinary iterator.
    std::string bytes = vm.bytes(
        "pack", "{ x = setmetatable({}, {__pairs = function(t) return next, {7}, nil end}) }");
    CHECK(to_hex(bytes) == "060c78060a010a070000");
}

TEST_CASE("seri reads a nil head with any cookie as nil", "[seri]") {
    lua_vm vm;
    record_check check("nil cookies");
    check.expect_true(vm.call("decodes_to", {from_hex("08f8"), "nil, nil"}), "top-level nils");
    check.expect_true(vm.call("decodes_to", {from_hex("060c610a0108"), "{a = 1}"}),
                      "table ended by 0x08");
    CHECK(check.passed());
}

TEST_CASE("seri rejects forged lengths and depth bombs without crashing", "[seri]") {
    lua_vm vm(64 << 20);
    bool bad_status = false;
    const char *inputs[] = {
        "25ffffffff61",             // long string claiming 4 GiB
        "25ffffff7f61",             // long string claiming 2 GiB
        "1520",                     // long string with its length but no body
        "fe32ffffffffffffff3f0a01", // array of 2^62 elements
        "fe22ffffff7f0a01",         // array of 2^31-1 elements
        "fe22ffffffff0a01",         // negative array size
        "fe0affff",                 // array of 255 with two bytes left
        "fe22000000040a01",         // array of 2^26: 512 MiB if preallocated
        "03000000",                 // pointer cut short
    };
    for (const char *hex : inputs) {
        INFO(hex);
        CHECK(unpack_both(vm.state(), from_hex(hex), bad_status) == 2);
    }
    std::string bomb(200000, '\x0e'); // 200000 nested one-element arrays
    CHECK(unpack_both(vm.state(), bomb, bad_status) == 2);
    std::string hash_bomb;
    for (int i = 0; i < 100000; i++)
        hash_bomb += "\x06\x02"; // {[0] = {[0] = ...
    CHECK(unpack_both(vm.state(), hash_bomb, bad_status) == 2);
    std::string many_values(100000, '\x00'); // more results than a C function may return
    CHECK(unpack_both(vm.state(), many_values, bad_status) == 2);
    CHECK_FALSE(bad_status);

    // Nesting well past what a packer emits still decodes, up to 1024 tables.
    auto nested = [](int depth) {
        return std::string(depth - 1, '\x0e') + std::string("\x06\x00", 2) +
               std::string(depth - 1, '\x00');
    };
    CHECK(unpack_both(vm.state(), nested(1024), bad_status) == 0);
    CHECK(unpack_both(vm.state(), nested(1025), bad_status) == 2);
    CHECK_FALSE(bad_status);
}

TEST_CASE("seri unpack survives random, truncated and mutated input", "[seri]") {
    lua_vm vm;
    const char *samples[] = {
        "{1, 2, 3, x = 'y', [{}] = {true, false}}",
        "{a = {b = {c = {d = {e = 'deep'}}}}}",
        "(function() local t = {} for i = 1, 40 do t[i] = i * 1000 end t.s = string.rep('s', 300) "
        "return t end)()",
        "{-1, -2^40, 0.25, 2^31, 65535, 256, 1/0, ''}",
        "{string.rep('q', 70000)}",
    };
    std::vector<std::string> packed;
    for (const char *s : samples)
        packed.push_back(vm.bytes("pack", s));

    std::mt19937 rng(0x5eed);
    auto below = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
    bool bad_status = false;
    int truncated = 0, truncated_raised = 0, decoded = 0;
    for (int i = 0; i < 20000; i++) {
        std::string input;
        const std::string &sample = packed[below(packed.size())];
        switch (i % 4) {
        case 0: // noise
            for (size_t n = below(48); n > 0; n--)
                input += static_cast<char>(below(256));
            break;
        case 1: // well-formed heads with random cookies and payload bytes
            for (size_t n = below(24); n > 0; n--)
                input += static_cast<char>(below(7) | below(32) << 3);
            break;
        case 2: // a proper prefix of one packed value can never be complete
            input = sample.substr(0, 1 + below(sample.size() - 1));
            truncated++;
            break;
        default: // a few flipped bytes
            input = sample;
            for (size_t n = 1 + below(3); n > 0; n--)
                input[below(input.size())] = static_cast<char>(below(256));
        }
        int raised = unpack_both(vm.state(), input, bad_status);
        if (i % 4 == 2)
            truncated_raised += raised == 2 ? 1 : 0;
        decoded += raised == 0 ? 1 : 0;
    }
    CHECK_FALSE(bad_status);
    CHECK(truncated_raised == truncated);
    CHECK(decoded > 0); // the generator also produced acceptable streams
}
