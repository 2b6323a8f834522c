// sproto (sproto.core, the native schema parser, lualib/sproto.lua) against
// upstream's vectors: schema binaries, encoded and packed messages, host
// request/response packets; plus round trips and malformed input.
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

std::filesystem::path repo_root() {
    for (const auto &dir : {std::filesystem::path(__FILE__).parent_path() / "../..",
                            std::filesystem::current_path()}) {
        if (std::filesystem::exists(dir / "lualib/sproto.lua"))
            return dir;
    }
    FAIL("lualib/sproto.lua not found (run from the repository root)");
    return {};
}

class SprotoLua {
  public:
    SprotoLua() : L_(luaL_newstate()) {
        luaL_openlibs(L_);
        skynet_lua_compat(L_);
        lua_getglobal(L_, "package");
        lua_pushstring(L_, (repo_root() / "lualib/?.lua").string().c_str());
        lua_setfield(L_, -2, "path");
        lua_getfield(L_, -1, "preload");
        lua_pushcfunction(L_, luaopen_sproto_core);
        lua_setfield(L_, -2, "sproto.core");
        lua_pushcfunction(L_, luaopen_sproto_parser);
        lua_setfield(L_, -2, "sproto.parser");
        lua_pop(L_, 2);
        REQUIRE(run(R"(
            sproto = require "sproto"
            parser = require "sprotoparser"
            core = require "sproto.core"
            function hex(s)
                return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
            end
            function unhex(h)
                return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
            end
            -- deep compare, numbers by value
            function same(a, b)
                if type(a) ~= "table" or type(b) ~= "table" then return a == b end
                for k, v in pairs(a) do if not same(v, b[k]) then return false end end
                for k in pairs(b) do if a[k] == nil then return false end end
                return true
            end
        )") == "");
    }
    ~SprotoLua() { lua_close(L_); }
    SprotoLua(const SprotoLua &) = delete;
    SprotoLua &operator=(const SprotoLua &) = delete;

    std::string run(const std::string &code) { return run_chunk(L_, code.c_str()); }

    void set(const char *name, const std::string &value) {
        lua_pushlstring(L_, value.data(), value.size());
        lua_setglobal(L_, name);
    }

  private:
    lua_State *L_;
};

std::vector<json> load_records(const char *file) {
    std::ifstream in(repo_root() / "test/vectors" / file);
    std::vector<json> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            out.push_back(json::parse(line));
    REQUIRE(!out.empty());
    return out;
}

} // namespace

TEST_CASE("sproto: upstream vectors (schema, encode, pack, host)", "[sproto]") {
    SprotoLua lua;
    auto records = load_records("sproto.jsonl");
    int schemas = 0, encodes = 0, packets = 0, packs = 0;
    for (const auto &rec : records) {
        std::string kind = rec["kind"];
        INFO(rec.dump().substr(0, 400));
        if (kind == "schema") {
            lua.set("TEXT", rec["text"].get<std::string>());
            lua.set("BIN", from_hex(rec["bin_hex"].get<std::string>()));
            CHECK(lua.run(R"(
                local bin = parser.parse(TEXT)
                assert(bin == BIN, hex(bin))
                -- the generator's hosts added skynet's usual package header
                SP = sproto.new(BIN)
                local full = sproto.parse(TEXT .. [[
.package {
    type 0 : integer
    session 1 : integer
    ud 2 : string
}
]])
                HOST = full:host "package"
                SERVER = full:host "package"
                REQUEST = HOST:attach(full)
                PACKAGE = core.querytype(full.__cobj, "package")
                RESPONDERS = {}
            )") == "");
            ++schemas;
        } else if (kind == "encode") {
            lua.set("TYPE", rec["type"].get<std::string>());
            lua.set("EXPR", rec["lua"].get<std::string>());
            lua.set("ENCODED", from_hex(rec["encoded_hex"].get<std::string>()));
            lua.set("PACKED", from_hex(rec["packed_hex"].get<std::string>()));
            CHECK(lua.run(R"(
                local value = assert(loadstring("return " .. EXPR))()
                local bin = SP:encode(TYPE, value)
                assert(bin == ENCODED, hex(bin))
                assert(sproto.pack(bin) == PACKED, hex(sproto.pack(bin)))
                assert(SP:pencode(TYPE, value) == PACKED)
                assert(sproto.unpack(PACKED):sub(1, #ENCODED) == ENCODED)
                local back, n = SP:decode(TYPE, ENCODED)
                assert(n == #ENCODED)
                assert(same(back, value), TYPE)
                assert(same(SP:pdecode(TYPE, PACKED), value))
            )") == "");
            ++encodes;
        } else if (kind == "request") {
            // Decode upstream's packet, re-encode it from what came out, and
            // keep the responder for the response record of this session.
            lua.set("PACKED", from_hex(rec["packed_hex"].get<std::string>()));
            lua.set("PROTO", rec["proto"].get<std::string>());
            lua.set("UD", rec.value("ud", std::string()));
            CHECK(lua.run(R"(
                local what, name, args, respond, ud = SERVER:dispatch(PACKED)
                assert(what == "REQUEST" and name == PROTO, name)
                if UD ~= "" then assert(ud == UD, ud) end
                local head = core.decode(PACKAGE, sproto.unpack(PACKED))
                local session = head.session
                assert((respond ~= nil) == (session ~= nil))
                if session then RESPONDERS[session] = respond end
                local again = REQUEST(name, args, session, ud)
                assert(again == PACKED, hex(again))
            )") == "");
            ++packets;
        } else if (kind == "response") {
            lua.set("PACKED", from_hex(rec["packed_hex"].get<std::string>()));
            lua.set("PROTO", rec["proto"].get<std::string>());
            lua.set("SESSION_", std::to_string(rec["session"].get<int>()));
            CHECK(lua.run(R"(
                local session = tonumber(SESSION_)
                local what, s, args = HOST:dispatch(PACKED)
                assert(what == "RESPONSE" and s == session)
                local again = RESPONDERS[session](args)
                assert(again == PACKED, hex(again))
            )") == "");
            ++packets;
        } else if (kind == "pack") {
            lua.set("RAW", from_hex(rec["raw_hex"].get<std::string>()));
            lua.set("PACKED", from_hex(rec["packed_hex"].get<std::string>()));
            CHECK(lua.run(R"(
                assert(sproto.pack(RAW) == PACKED, hex(sproto.pack(RAW)))
                local un = sproto.unpack(PACKED)
                assert(#un % 8 == 0 and #un - #RAW < 8 and un:sub(1, #RAW) == RAW)
                assert(un:sub(#RAW + 1) == string.rep("\0", #un - #RAW))
            )") == "");
            ++packs;
        }
    }
    CHECK(schemas == 1);
    CHECK(encodes >= 10);
    CHECK(packets == 6);
    CHECK(packs >= 6);
}

// Records made by test/vectors/tools/sproto_extra.lua on upstream: more
// schemas (maps, keyed arrays, decimals, nested lookups, tag gaps, response
// nil), parse errors, encode errors, hand-made decoder inputs, defaults, host
// packets with their replies, longer 0-pack inputs.
TEST_CASE("sproto: extra upstream vectors", "[sproto]") {
    SprotoLua lua;
    REQUIRE(lua.run(R"(
        SPS = {}
        inf = math.huge
        -- which duplicate upstream names depends on its table order
        function strip(err)
            err = tostring(err):gsub("^[^:]*%.lua:%d+: ", "")
            return (err:gsub("^(redefined protocol tag %d+ at ).*", "%1"))
        end
        function value_of(expr) return assert(loadstring("return " .. expr))() end
    )") == "");
    std::map<std::string, int> seen;
    for (const auto &rec : load_records("sproto_extra.jsonl")) {
        std::string kind = rec["kind"];
        INFO(rec.dump().substr(0, 400));
        REQUIRE(lua.run("for k in pairs(_G) do if k:sub(1, 2) == 'R_' then _G[k] = nil end end") ==
                "");
        for (const auto &[key, value] : rec.items()) {
            std::string k = key;
            if (value.is_string()) {
                std::string v = value;
                if (k.size() > 4 && k.substr(k.size() - 4) == "_hex")
                    v = from_hex(v);
                lua.set(("R_" + k).c_str(), v);
            } else if (value.is_number()) {
                lua.set(("R_" + k).c_str(), std::to_string(value.get<long long>()));
            } else if (value.is_boolean()) {
                lua.set(("R_" + k).c_str(), value.get<bool>() ? "true" : "");
            }
        }
        const char *code = nullptr;
        if (kind == "schema") {
            code = R"(
                local bin = parser.parse(R_text)
                assert(bin == R_bin_hex, hex(bin))
                SPS[R_name] = sproto.new(bin)
            )";
        } else if (kind == "schema_error") {
            code = R"(
                local ok, err = pcall(parser.parse, R_text)
                assert(not ok and strip(err) == strip(R_error), err)
            )";
        } else if (kind == "encode") {
            code = R"(
                local sp = SPS[R_schema]
                local value = value_of(R_lua)
                local expect = value_of(R_decoded)
                local bin = sp:encode(R_type, value)
                if R_exact ~= "" then
                    assert(bin == R_encoded_hex, hex(bin))
                    assert(sproto.pack(bin) == R_packed_hex)
                end
                assert(same(sp:decode(R_type, R_encoded_hex), expect))
                assert(same(sp:pdecode(R_type, R_packed_hex), expect))
                assert(same(sp:decode(R_type, bin), expect))
            )";
        } else if (kind == "encode_error") {
            code = R"(
                local ok, err = pcall(SPS[R_schema].encode, SPS[R_schema], R_type, value_of(R_lua))
                assert(not ok and strip(err) == R_error, err)
            )";
        } else if (kind == "decode") {
            code = R"(
                local ok, v, n = pcall(SPS[R_schema].decode, SPS[R_schema], R_type, R_input_hex)
                if R_error then
                    assert(not ok and strip(v) == R_error, tostring(v))
                else
                    assert(ok, v)
                    assert(same(v, value_of(R_decoded)) and n == tonumber(R_size))
                end
            )";
        } else if (kind == "default") {
            code = R"(
                assert(same(SPS[R_schema]:default(R_type, R_which), value_of(R_lua)))
            )";
        } else if (kind == "request") {
            code = R"(
                local sp = SPS[R_schema]
                local client, server = sp:host "package", sp:host "package"
                local session = R_session and tonumber(R_session)
                local packet = client:attach(sp)(R_proto, value_of(R_lua), session, R_ud)
                assert(packet == R_packed_hex, hex(packet))
                local what, name, args, respond, ud = server:dispatch(packet)
                assert(what == "REQUEST" and name == R_proto and ud == R_ud)
                assert(same(args, value_of(R_lua)))
                assert((respond ~= nil) == (session ~= nil))
                if respond then
                    local reply = respond(value_of(R_reply_lua))
                    assert(reply == R_reply_hex, hex(reply))
                    local w, s, result = client:dispatch(reply)
                    assert(w == "RESPONSE" and s == session)
                    assert(same(result, value_of(R_reply_decoded)))
                end
            )";
        } else if (kind == "pack") {
            code = R"(
                assert(sproto.pack(R_raw_hex) == R_packed_hex)
                assert(sproto.unpack(R_packed_hex):sub(1, #R_raw_hex) == R_raw_hex)
            )";
        } else if (kind == "unpack") {
            code = R"(
                local ok, v = pcall(sproto.unpack, R_packed_hex)
                if R_error then
                    assert(not ok and strip(v) == R_error, v)
                else
                    assert(ok and v == R_raw_hex, v)
                end
            )";
        }
        REQUIRE(code != nullptr);
        CHECK(lua.run(code) == "");
        ++seen[kind];
    }
    CHECK(seen["schema"] == 3);
    CHECK(seen["schema_error"] >= 10);
    CHECK(seen["encode"] >= 30);
    CHECK(seen["encode_error"] >= 10);
    CHECK(seen["decode"] >= 20);
    CHECK(seen["request"] >= 10);
}

TEST_CASE("sproto: random round trips", "[sproto]") {
    SprotoLua lua;
    CHECK(lua.run(R"(
        local sp = sproto.parse [[
            .Item { id 0 : integer  name 1 : string  price 2 : integer(2) }
            .Person {
                name 0 : string
                id 1 : integer
                alive 3 : boolean
                score 4 : double
                tags 5 : *string
                nums 6 : *integer
                flags 7 : *boolean
                items 9 : *Item(id)
                dict 10 : *Pair()
                friends 12 : *Person
                blob 40 : binary
                .Pair { k 0 : string  v 1 : integer }
            }
        ]]
        math.randomseed(11)
        local function bytes(n)
            local t = {}
            for i = 1, n do t[i] = string.char(math.random(0, 255)) end
            return table.concat(t)
        end
        local function int()
            local r = math.random(1, 4)
            if r == 1 then return math.random(0, 32766) end
            if r == 2 then return math.random(-2147483648, 2147483647) end
            if r == 3 then return (math.random(0, 2^20) - 2^19) * 2^32 + math.random(0, 2^32 - 1) end
            return -math.random(1, 100)
        end
        local function person(depth)
            local p = {}
            if math.random() < 0.8 then p.name = bytes(math.random(0, 20)) end
            if math.random() < 0.8 then p.id = int() end
            if math.random() < 0.5 then p.alive = math.random() < 0.5 end
            if math.random() < 0.5 then p.score = (math.random() - 0.5) * 1e6 end
            if math.random() < 0.5 then
                p.tags, p.nums, p.flags = {}, {}, {}
                for i = 1, math.random(0, 5) do
                    p.tags[i], p.nums[i], p.flags[i] = bytes(i), int(), i % 2 == 0
                end
            end
            if math.random() < 0.5 then
                p.items, p.dict = {}, {}
                for i = 1, math.random(0, 4) do
                    local id = int()
                    p.items[id] = { id = id, name = "n" .. i, price = math.random(0, 99999) / 100 }
                    p.dict["k" .. i] = int()
                end
            end
            if depth < 3 and math.random() < 0.3 then
                p.friends = {}
                for i = 1, math.random(1, 3) do p.friends[i] = person(depth + 1) end
            end
            if math.random() < 0.2 then p.blob = bytes(math.random(0, 3000)) end
            return p
        end
        for i = 1, 500 do
            local p = person(0)
            local bin = sp:encode("Person", p)
            local back, n = sp:decode("Person", bin)
            assert(n == #bin and same(back, p), i)
            assert(same(sp:pdecode("Person", sp:pencode("Person", p)), p), i)
            local raw = bytes(math.random(0, 200))
            local un = sproto.unpack(sproto.pack(raw))
            assert(un:sub(1, #raw) == raw and #un - #raw < 8)
        end
    )") == "");
}
