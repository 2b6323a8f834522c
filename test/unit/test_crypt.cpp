// skynet.crypt and md5 against upstream's outputs (test/vectors/crypt.jsonl and
// crypt_extra.jsonl), plus round trips of random data and the module's shape.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hexdigest.h"
#include "lua/modules.h"
#include "lua_chunk.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using json = nlohmann::json;

namespace {

// Vector function names as the generator spelled them, as Lua callables.
constexpr const char *kDispatch = R"(
local crypt = require "skynet.crypt"
local md5 = require "md5"
local p = crypt.padding
return {
    hashkey = crypt.hashkey, sha1 = crypt.sha1, hexencode = crypt.hexencode,
    hexdecode = crypt.hexdecode, base64encode = crypt.base64encode,
    base64decode = crypt.base64decode, desencode = crypt.desencode, desdecode = crypt.desdecode,
    ["desencode.pkcs7"] = function(k, t) return crypt.desencode(k, t, p.pkcs7) end,
    ["desdecode.pkcs7"] = function(k, t) return crypt.desdecode(k, t, p.pkcs7) end,
    ["desdecode.iso7816_4"] = function(k, t) return crypt.desdecode(k, t, p.iso7816_4) end,
    ["desencode.badmode"] = function(k, t) return crypt.desencode(k, t, 7) end,
    ["desencode.badmode_neg"] = function(k, t) return crypt.desencode(k, t, -1) end,
    ["desdecode.badmode"] = function(k, t) return crypt.desdecode(k, t, 2) end,
    hmac64 = crypt.hmac64, hmac64_md5 = crypt.hmac64_md5, hmac_hash = crypt.hmac_hash,
    dhexchange = crypt.dhexchange, dhsecret = crypt.dhsecret, hmac_sha1 = crypt.hmac_sha1,
    xor_str = crypt.xor_str,
    ["md5.sum"] = md5.sum, ["md5.sumhexa"] = md5.sumhexa, ["md5.hmacmd5"] = md5.hmacmd5,
    ["md5.exor"] = md5.exor,
}
)";

class CryptLua {
  public:
    CryptLua() : L_(luaL_newstate()) {
        luaL_openlibs(L_);
        lua_getglobal(L_, "package");
        lua_getfield(L_, -1, "preload");
        lua_pushcfunction(L_, luaopen_skynet_crypt);
        lua_setfield(L_, -2, "skynet.crypt");
        lua_pushcfunction(L_, luaopen_md5);
        lua_setfield(L_, -2, "md5");
        lua_pop(L_, 2);
        REQUIRE(luaL_loadstring(L_, kDispatch) == 0);
        REQUIRE(lua_pcall(L_, 0, 1, 0) == 0);
        lua_setglobal(L_, "F");
    }
    ~CryptLua() { lua_close(L_); }
    CryptLua(const CryptLua &) = delete;
    CryptLua &operator=(const CryptLua &) = delete;

    lua_State *state() const { return L_; }

    struct Outcome {
        bool ok;
        std::string value; // the result, or the error message
    };

    Outcome call(const std::string &fn, const std::vector<std::string> &args) {
        lua_settop(L_, 0);
        lua_getglobal(L_, "F");
        lua_getfield(L_, -1, fn.c_str());
        REQUIRE(lua_isfunction(L_, -1));
        for (const auto &a : args)
            lua_pushlstring(L_, a.data(), a.size());
        int rc = lua_pcall(L_, static_cast<int>(args.size()), 1, 0);
        size_t n = 0;
        const char *s = lua_tolstring(L_, -1, &n);
        Outcome out{rc == 0, s ? std::string(s, n) : std::string("(not a string)")};
        lua_settop(L_, 0);
        return out;
    }

  private:
    lua_State *L_;
};

std::filesystem::path vectors_dir() {
    for (const auto &dir : {std::filesystem::path(__FILE__).parent_path() / "../vectors",
                            std::filesystem::path("test/vectors")}) {
        if (std::filesystem::exists(dir / "crypt.jsonl"))
            return dir;
    }
    FAIL("test/vectors/crypt.jsonl not found (run from the repository root)");
    return {};
}

std::vector<json> load(const char *file) {
    std::ifstream in(vectors_dir() / file);
    std::vector<json> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            out.push_back(json::parse(line));
    REQUIRE(!out.empty());
    return out;
}

// Replays every record; returns the count per function so a test can insist
// that each function was covered.
std::map<std::string, int> replay(CryptLua &lua, const std::vector<json> &records) {
    std::map<std::string, int> seen;
    for (const auto &rec : records) {
        std::string fn = rec["fn"];
        std::vector<std::string> args;
        for (const auto &a : rec.value("args_hex", json::array()))
            args.push_back(from_hex(a.get<std::string>()));
        INFO(rec.dump().substr(0, 300));
        if (fn == "randomkey.len") {
            lua_State *L = lua.state();
            REQUIRE(run_chunk(L, "local k = require('skynet.crypt').randomkey() "
                                 "assert(#k == 8, #k)") == "");
            ++seen[fn];
            continue;
        }
        auto got = lua.call(fn, args);
        if (rec.contains("error")) {
            CHECK_FALSE(got.ok);
            CHECK(got.value == rec["error"].get<std::string>());
        } else {
            REQUIRE(got.ok);
            CHECK(to_hex(got.value) == rec["result_hex"][0].get<std::string>());
        }
        ++seen[fn];
    }
    return seen;
}

} // namespace

TEST_CASE("crypt: upstream vectors", "[crypt]") {
    CryptLua lua;
    auto seen = replay(lua, load("crypt.jsonl"));
    for (const char *fn : {"hashkey",          "sha1",         "hexencode",
                           "hexdecode",        "base64encode", "base64decode",
                           "desencode",        "desdecode",    "desencode.pkcs7",
                           "desdecode.pkcs7",  "hmac_sha1",    "hmac_hash",
                           "hmac64",           "hmac64_md5",   "dhexchange",
                           "dhsecret",         "xor_str",      "md5.sum",
                           "md5.sumhexa",      "md5.hmacmd5",  "randomkey.len",
                           "desencode.badmode"})
        CHECK(seen[fn] > 0);
}

TEST_CASE("crypt: extra upstream vectors (DH edges, paddings, odd lengths, decoders)", "[crypt]") {
    CryptLua lua;
    auto seen = replay(lua, load("crypt_extra.jsonl"));
    CHECK(seen.size() >= 20);
    CHECK(seen["dhsecret"] >= 400);
    CHECK(seen["desdecode.iso7816_4"] > 0);
}

TEST_CASE("crypt: module shape and argument errors", "[crypt]") {
    CryptLua lua;
    lua_State *L = lua.state();
    CHECK(run_chunk(L, R"(
        local crypt = require "skynet.crypt"
        assert(crypt.padding.iso7816_4 == 0 and crypt.padding.pkcs7 == 1)
        for _, name in ipairs{"hashkey", "randomkey", "desencode", "desdecode", "hexencode",
            "hexdecode", "hmac64", "hmac64_md5", "dhexchange", "dhsecret", "base64encode",
            "base64decode", "sha1", "hmac_sha1", "hmac_hash", "xor_str"} do
            assert(type(crypt[name]) == "function", name)
        end
        local ok, err = pcall(crypt.sha1)
        assert(not ok and err:find("bad argument #1"), err)
        ok, err = pcall(crypt.desencode, "12345678", "x", "pkcs7")
        assert(not ok and err:find("bad argument #3"), err)
        -- randomkey: 8 bytes, never zero (dhexchange refuses 0), different each call
        local keys = {}
        for i = 1, 200 do
            local k = crypt.randomkey()
            assert(#k == 8 and k ~= string.rep("\0", 8))
            keys[k] = true
        end
        local n = 0
        for _ in pairs(keys) do n = n + 1 end
        assert(n > 190, n)
    )") == "");
}

TEST_CASE("crypt: random round trips and the DH handshake", "[crypt]") {
    CryptLua lua;
    lua_State *L = lua.state();
    CHECK(run_chunk(L, R"(
        local crypt = require "skynet.crypt"
        local md5 = require "md5"
        math.randomseed(7)
        local function bytes(n)
            local t = {}
            for i = 1, n do t[i] = string.char(math.random(0, 255)) end
            return table.concat(t)
        end
        for i = 1, 400 do
            local n = math.random(0, i < 300 and 40 or 3000)
            local s, key = bytes(n), bytes(8)
            assert(crypt.hexdecode(crypt.hexencode(s)) == s)
            assert(crypt.base64decode(crypt.base64encode(s)) == s)
            for _, mode in ipairs{crypt.padding.iso7816_4, crypt.padding.pkcs7} do
                local c = crypt.desencode(key, s, mode)
                assert(#c == n - n % 8 + 8)
                assert(crypt.desdecode(key, c, mode) == s)
            end
            if n > 0 then
                local k = bytes(math.random(1, 16))
                assert(crypt.xor_str(crypt.xor_str(s, k), k) == s)
            end
            assert(#crypt.sha1(s) == 20 and #md5.sum(s) == 16)
            assert(md5.sumhexa(s) == crypt.hexencode(md5.sum(s)))
        end
        -- hmac64_md5 is md5 of (a..b) x3 folded, as upstream documents it
        for i = 1, 50 do
            local a, b = bytes(8), bytes(8)
            local m = md5.sum((a .. b):rep(3))
            assert(crypt.hmac64_md5(a, b) == crypt.xor_str(m:sub(1, 8), m:sub(9, 16)))
        end
        -- both sides of the login handshake agree on the secret
        for i = 1, 50 do
            local ckey, skey = crypt.randomkey(), crypt.randomkey()
            local cex, sex = crypt.dhexchange(ckey), crypt.dhexchange(skey)
            local secret = crypt.dhsecret(sex, ckey)
            assert(secret == crypt.dhsecret(cex, skey))
            local hmac = crypt.hmac64(crypt.randomkey(), secret)
            assert(#hmac == 8)
        end
    )") == "");
}
