// skynet.cluster.core against test/vectors/cluster.jsonl (recorded from upstream
// skynet), plus round trips, ownership of msg buffers and a bounded fuzz run.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hexdigest.h"
#include "lua/modules.h"
#include "lua/seri.h"
#include "skynet_malloc.h"

#include <malloc.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using json = nlohmann::json;

namespace {

constexpr size_t M = 0x8000;

// --- Lua state with the module as global `cluster` ---

using state_ptr = std::unique_ptr<lua_State, decltype(&lua_close)>;

state_ptr new_state() {
    state_ptr L(luaL_newstate(), &lua_close);
    luaL_openlibs(L.get());
    luaopen_skynet_cluster_core(L.get());
    lua_setglobal(L.get(), "cluster");
    return L;
}

void push_fn(lua_State *L, const char *name) {
    lua_getglobal(L, "cluster");
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
}

// Pushes the value of a vector's generating expression (exactly one value).
void push_expr(lua_State *L, const std::string &expr) {
    std::string chunk = "return " + expr;
    REQUIRE(luaL_loadstring(L, chunk.c_str()) == 0);
    REQUIRE(lua_pcall(L, 0, 1, 0) == 0);
}

std::string eval_string(lua_State *L, const std::string &expr) {
    push_expr(L, expr);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    REQUIRE(s != nullptr);
    std::string out(s, len);
    lua_pop(L, 1);
    return out;
}

// skynet.pack of one string value (type 4 short, type 5 long with u16/u32 length).
std::string pack_string(const std::string &s) {
    std::string out;
    if (s.size() < 32) {
        out.push_back(static_cast<char>(4 | s.size() << 3));
    } else if (s.size() < 0x10000) {
        out.push_back(static_cast<char>(5 | 2 << 3));
        out.push_back(static_cast<char>(s.size()));
        out.push_back(static_cast<char>(s.size() >> 8));
    } else {
        out.push_back(static_cast<char>(5 | 4 << 3));
        for (int i = 0; i < 4; i++)
            out.push_back(static_cast<char>(s.size() >> (i * 8)));
    }
    return out + s;
}

// Compares bytes with obj's "<prefix>hex", or its len/head_hex/sha256 triple.
void check_bytes(const json &obj, const std::string &prefix, std::string_view actual) {
    if (obj.contains(prefix + "hex")) {
        CHECK(to_hex(actual) == obj[prefix + "hex"].get<std::string>());
        return;
    }
    REQUIRE(obj.contains(prefix + "len"));
    CHECK(actual.size() == obj[prefix + "len"].get<size_t>());
    CHECK(to_hex(actual.substr(0, 64)) == obj[prefix + "head_hex"].get<std::string>());
    CHECK(sha256_hex(actual) == obj[prefix + "sha256"].get<std::string>());
}

std::string lua_bytes(lua_State *L, int idx) {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    return std::string(s, len);
}

// The payload a record passes in, rebuilt and checked against the recorded bytes.
std::string payload_of(lua_State *L, const json &rec) {
    std::string bytes;
    if (rec.contains("payload_hex")) {
        bytes = from_hex(rec["payload_hex"].get<std::string>());
    } else {
        // Large payloads are all one string: string.rep(...).
        std::string s = eval_string(L, rec["payload_lua"].get<std::string>());
        bytes = rec.value("payload_form", "msg") == "string" ? s : pack_string(s);
    }
    REQUIRE(bytes.size() == rec["payload_len"].get<size_t>());
    check_bytes(rec, "payload_", bytes);
    return bytes;
}

// The u16 big-endian body length that starts every packet.
size_t length_prefix(const std::string &p) {
    return size_t{static_cast<uint8_t>(p[0])} << 8 | static_cast<uint8_t>(p[1]);
}

void *malloc_copy(std::string_view bytes) {
    void *p = skynet_malloc(std::max<size_t>(bytes.size(), 1));
    if (!bytes.empty())
        std::memcpy(p, bytes.data(), bytes.size());
    return p;
}

// pcall the function and its nargs arguments on top; returns the result count
// or -1 with the message in *err. Results sit at 1..n (stack must start empty).
int call(lua_State *L, int nargs, std::string *err = nullptr) {
    if (lua_pcall(L, nargs, LUA_MULTRET, 0) != 0) {
        if (err != nullptr)
            *err = lua_bytes(L, -1);
        lua_pop(L, 1);
        return -1;
    }
    return lua_gettop(L);
}

// Frees every light userdata among the results (fresh copies owned by the caller).
void free_msgs(lua_State *L) {
    for (int i = 1; i <= lua_gettop(L); i++) {
        if (lua_type(L, i) == LUA_TLIGHTUSERDATA)
            skynet_free(lua_touserdata(L, i));
    }
}

// Checks results 1..n against a vector's unpack values.
void check_values(lua_State *L, int n, const json &expect) {
    REQUIRE(n == static_cast<int>(expect.size()));
    for (int i = 0; i < n; i++) {
        const json &v = expect[i];
        int idx = i + 1;
        INFO("value " << idx);
        if (v.is_null()) {
            CHECK(lua_isnil(L, idx));
        } else if (v.is_boolean()) {
            REQUIRE(lua_type(L, idx) == LUA_TBOOLEAN);
            CHECK(static_cast<bool>(lua_toboolean(L, idx)) == v.get<bool>());
        } else if (v.is_number()) {
            REQUIRE(lua_type(L, idx) == LUA_TNUMBER);
            CHECK(lua_tonumber(L, idx) == v.get<double>());
        } else if (v.contains("msg_hex") || v.contains("msg_len")) {
            REQUIRE(lua_type(L, idx) == LUA_TLIGHTUSERDATA);
            REQUIRE(lua_type(L, idx + 1) == LUA_TNUMBER);
            auto sz = static_cast<size_t>(lua_tonumber(L, idx + 1));
            check_bytes(v, "msg_", {static_cast<const char *>(lua_touserdata(L, idx)), sz});
        } else {
            REQUIRE(lua_type(L, idx) == LUA_TSTRING);
            check_bytes(v, "string_", lua_bytes(L, idx));
        }
    }
}

// Runs unpackrequest/unpackresponse on a body and compares with an expectation
// holding n/values or error. Requests are also fed as (msg, sz) in an exact-size
// heap buffer, which is how the gate delivers them.
void check_unpack(lua_State *L, const char *fn, const std::string &body, const json &expect) {
    for (bool as_msg : {false, true}) {
        if (as_msg && std::strcmp(fn, "unpackrequest") != 0)
            continue;
        INFO(fn << (as_msg ? "(msg, sz)" : "(string)"));
        lua_settop(L, 0);
        push_fn(L, fn);
        void *msg = nullptr;
        if (as_msg) {
            msg = malloc_copy(body);
            lua_pushlightuserdata(L, msg);
            lua_pushinteger(L, static_cast<lua_Integer>(body.size()));
        } else {
            lua_pushlstring(L, body.data(), body.size());
        }
        std::string err;
        int n = call(L, as_msg ? 2 : 1, &err);
        skynet_free(msg); // unpackrequest never takes the gate's buffer
        if (expect.contains("error")) {
            CHECK(n == -1);
            CHECK(err == expect["error"].get<std::string>());
        } else {
            REQUIRE(n >= 0);
            check_values(L, n, expect["values"]);
            CHECK(n == expect["n"].get<int>());
        }
        free_msgs(L);
        lua_settop(L, 0);
    }
}

// Collects the packets a pack call returned: index 1 is a string (or, for a
// split response, a table), index 3 the optional parts table.
std::vector<std::string> table_strings(lua_State *L, int idx) {
    std::vector<std::string> out;
    REQUIRE(lua_type(L, idx) == LUA_TTABLE);
    int n = static_cast<int>(lua_objlen(L, idx));
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        REQUIRE(lua_type(L, -1) == LUA_TSTRING);
        out.push_back(lua_bytes(L, -1));
        lua_pop(L, 1);
    }
    return out;
}

void check_packets(lua_State *L, const json &rec, const std::string &first,
                   const std::vector<std::string> &parts, const char *unpack_fn) {
    std::map<std::string, std::string> packets;
    if (!first.empty()) {
        check_bytes(rec, "", first);
        packets["hex"] = first;
    }
    if (rec.contains("parts")) {
        REQUIRE(parts.size() == rec["parts"].size());
        for (size_t i = 0; i < parts.size(); i++) {
            INFO("part " << i + 1);
            check_bytes(rec["parts"][i], "", parts[i]);
            packets["parts[" + std::to_string(i + 1) + "]"] = parts[i];
        }
    } else {
        CHECK(parts.empty());
    }
    for (auto &[name, p] : packets) {
        // The length prefix is the body size, big-endian.
        REQUIRE(p.size() >= 2);
        CHECK(length_prefix(p) == p.size() - 2);
    }
    REQUIRE(rec.contains("unpack"));
    CHECK(rec["unpack"].size() == packets.size());
    for (const json &u : rec["unpack"]) {
        std::string name = u["packet"].get<std::string>();
        INFO("unpack " << name);
        REQUIRE(packets.count(name) == 1);
        check_unpack(L, unpack_fn, packets[name].substr(2), u);
    }
}

void run_pack_request(lua_State *L, const json &rec) {
    std::string payload = payload_of(L, rec);
    lua_settop(L, 0);
    push_fn(L, rec["op"].get<std::string>().c_str());
    push_expr(L, rec["addr_lua"].get<std::string>());
    lua_pushnumber(L, rec["session"].get<double>());
    lua_pushlightuserdata(L, malloc_copy(payload)); // the call takes ownership
    lua_pushinteger(L, static_cast<lua_Integer>(payload.size()));
    std::string err;
    int n = call(L, 4, &err);
    if (rec.contains("error")) {
        CHECK(n == -1);
        CHECK(err == rec["error"].get<std::string>());
        return;
    }
    REQUIRE(n == rec["nret"].get<int>());
    REQUIRE(lua_type(L, 1) == LUA_TSTRING);
    CHECK(lua_tonumber(L, 2) == rec["new_session"].get<double>());
    CHECK((n == 3) == rec["padding"].get<bool>());
    std::vector<std::string> parts;
    if (n == 3)
        parts = table_strings(L, 3);
    std::string first = lua_bytes(L, 1);
    lua_settop(L, 0);
    check_packets(L, rec, first, parts, "unpackrequest");
}

void run_pack_trace(lua_State *L, const json &rec) {
    std::string tag = eval_string(L, rec["tag_lua"].get<std::string>());
    REQUIRE(tag.size() == rec["tag_len"].get<size_t>());
    lua_settop(L, 0);
    push_fn(L, "packtrace");
    lua_pushlstring(L, tag.data(), tag.size());
    std::string err;
    int n = call(L, 1, &err);
    if (rec.contains("error")) {
        CHECK(n == -1);
        CHECK(err == rec["error"].get<std::string>());
        return;
    }
    REQUIRE(n == 1);
    std::string first = lua_bytes(L, 1);
    lua_settop(L, 0);
    check_packets(L, rec, first, {}, "unpackrequest");
}

void run_pack_response(lua_State *L, const json &rec) {
    std::string payload = payload_of(L, rec);
    bool as_msg = rec["payload_form"].get<std::string>() == "msg";
    lua_settop(L, 0);
    push_fn(L, "packresponse");
    lua_pushnumber(L, rec["session"].get<double>());
    lua_pushboolean(L, rec["ok"].get<bool>());
    void *msg = nullptr;
    if (as_msg) {
        msg = malloc_copy(payload);
        lua_pushlightuserdata(L, msg);
        lua_pushinteger(L, static_cast<lua_Integer>(payload.size()));
    } else {
        lua_pushlstring(L, payload.data(), payload.size());
    }
    int n = call(L, as_msg ? 4 : 3);
    if (msg != nullptr) {
        // Not freed by packresponse: still readable, and ours to free.
        CHECK(std::memcmp(msg, payload.data(), payload.size()) == 0);
        skynet_free(msg);
    }
    REQUIRE(n == 1);
    std::string first;
    std::vector<std::string> parts;
    if (rec.contains("parts")) {
        parts = table_strings(L, 1);
    } else {
        REQUIRE(lua_type(L, 1) == LUA_TSTRING);
        first = lua_bytes(L, 1);
    }
    lua_settop(L, 0);
    check_packets(L, rec, first, parts, "unpackresponse");
}

std::filesystem::path vectors_dir() {
    for (const auto &dir : {std::filesystem::path(__FILE__).parent_path() / "../vectors",
                            std::filesystem::path("test/vectors")}) {
        if (std::filesystem::exists(dir / "cluster.jsonl"))
            return dir;
    }
    FAIL("test/vectors/cluster.jsonl not found (run from the repository root)");
    return {};
}

std::vector<json> load_records() {
    std::ifstream in(vectors_dir() / "cluster.jsonl");
    std::vector<json> out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            out.push_back(json::parse(line));
    }
    return out;
}

} // namespace

TEST_CASE("cluster.core matches every golden vector", "[cluster]") {
    auto records = load_records();
    REQUIRE(records.size() == 138);
    auto state = new_state();
    lua_State *L = state.get();
    std::map<std::string, int> seen;
    for (const json &rec : records) {
        std::string op = rec["op"].get<std::string>();
        INFO("record " << rec["name"].get<std::string>());
        if (op == "packrequest" || op == "packpush") {
            run_pack_request(L, rec);
        } else if (op == "packtrace") {
            run_pack_trace(L, rec);
        } else if (op == "packresponse") {
            run_pack_response(L, rec);
        } else {
            REQUIRE((op == "unpackrequest" || op == "unpackresponse"));
            check_unpack(L, op.c_str(), from_hex(rec["input_hex"].get<std::string>()), rec);
        }
        lua_settop(L, 0);
        seen[op]++;
    }
    CHECK(seen["packrequest"] == 42);
    CHECK(seen["packpush"] == 41);
    CHECK(seen["packtrace"] == 5);
    CHECK(seen["packresponse"] == 18);
    CHECK(seen["unpackrequest"] == 23);
    CHECK(seen["unpackresponse"] == 9);
}

// The path clustersender takes: skynet.pack's (msg, sz) straight into packrequest,
// which frees a buffer allocated by lua-seri.
TEST_CASE("cluster.core packs skynet.pack output as upstream did", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    lua_register(L, "pack", luaseri_pack);
    int checked = 0;
    for (const json &rec : load_records()) {
        std::string op = rec["op"].get<std::string>();
        if ((op != "packrequest" && op != "packpush") || rec.contains("error"))
            continue;
        INFO("record " << rec["name"].get<std::string>());
        std::string chunk = "return cluster." + op + "(" + rec["addr_lua"].get<std::string>() +
                            ", " + std::to_string(rec["session"].get<int64_t>()) + ", pack(" +
                            rec["payload_lua"].get<std::string>() + "))";
        lua_settop(L, 0);
        REQUIRE(luaL_loadstring(L, chunk.c_str()) == 0);
        std::string err;
        int n = call(L, 0, &err);
        INFO(err);
        REQUIRE(n == rec["nret"].get<int>());
        check_bytes(rec, "", lua_bytes(L, 1));
        if (n == 3) {
            auto parts = table_strings(L, 3);
            REQUIRE(parts.size() == rec["parts"].size());
            for (size_t i = 0; i < parts.size(); i++)
                check_bytes(rec["parts"][i], "", parts[i]);
        }
        checked++;
    }
    CHECK(checked == 63);
}

namespace {

// Pack, then unpack every packet and reassemble as clusteragent does:
// append(req, nil, total), append(req, msg, sz) per part, concat(req).
std::string request_round_trip(lua_State *L, const std::string &addr, double session,
                               const std::string &payload, bool push) {
    lua_settop(L, 0);
    push_fn(L, push ? "packpush" : "packrequest");
    if (addr.empty())
        lua_pushinteger(L, 0x01020304);
    else
        lua_pushlstring(L, addr.data(), addr.size());
    lua_pushnumber(L, session);
    lua_pushlightuserdata(L, malloc_copy(payload));
    lua_pushinteger(L, static_cast<lua_Integer>(payload.size()));
    int n = call(L, 4);
    REQUIRE(n >= 2);
    std::vector<std::string> packets{lua_bytes(L, 1)};
    if (n == 3) {
        auto parts = table_strings(L, 3);
        CHECK(parts.size() == (payload.size() + M - 1) / M);
        packets.insert(packets.end(), parts.begin(), parts.end());
    } else {
        CHECK(payload.size() < M);
    }
    lua_settop(L, 0);
    lua_newtable(L); // req, at index 1
    std::string out;
    for (size_t i = 0; i < packets.size(); i++) {
        const std::string &p = packets[i];
        REQUIRE(p.size() <= 0xffff + 2u);
        CHECK(length_prefix(p) == p.size() - 2);
        push_fn(L, "unpackrequest");
        lua_pushlstring(L, p.data() + 2, p.size() - 2);
        REQUIRE(lua_pcall(L, 1, 6, 0) == 0); // results at 2..7
        bool padding = lua_toboolean(L, 6);
        if (i == 0) {
            if (addr.empty())
                CHECK(lua_tonumber(L, 2) == 0x01020304);
            else
                CHECK(lua_bytes(L, 2) == addr);
            bool single_push = push && n == 2;
            CHECK(lua_tonumber(L, 3) == (single_push ? 0 : session));
            CHECK(static_cast<bool>(lua_toboolean(L, 7)) == push);
        } else {
            CHECK(lua_type(L, 2) == LUA_TBOOLEAN);
            CHECK(lua_tonumber(L, 3) == session);
            CHECK(padding == (i + 1 < packets.size()));
        }
        if (n == 2) {
            REQUIRE(lua_type(L, 4) == LUA_TLIGHTUSERDATA);
            out.assign(static_cast<const char *>(lua_touserdata(L, 4)),
                       static_cast<size_t>(lua_tonumber(L, 5)));
            skynet_free(lua_touserdata(L, 4));
            lua_settop(L, 1);
            continue;
        }
        push_fn(L, "append");
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 4); // nil for the header, msg for a part
        lua_pushvalue(L, 5); // total for the header, sz for a part
        REQUIRE(lua_pcall(L, 3, 0, 0) == 0);
        lua_settop(L, 1);
    }
    if (n == 3) {
        push_fn(L, "concat");
        lua_pushvalue(L, 1);
        REQUIRE(lua_pcall(L, 1, 2, 0) == 0);
        REQUIRE(lua_type(L, 2) == LUA_TLIGHTUSERDATA);
        out.assign(static_cast<const char *>(lua_touserdata(L, 2)),
                   static_cast<size_t>(lua_tonumber(L, 3)));
        skynet_free(lua_touserdata(L, 2));
    }
    lua_settop(L, 0);
    return out;
}

// Pack a response, unpack each packet and collect as socketchannel does:
// {total, data...} then concat.
std::string response_round_trip(lua_State *L, uint32_t session, const std::string &payload) {
    lua_settop(L, 0);
    push_fn(L, "packresponse");
    lua_pushnumber(L, session);
    lua_pushboolean(L, 1);
    void *msg = malloc_copy(payload);
    lua_pushlightuserdata(L, msg);
    lua_pushinteger(L, static_cast<lua_Integer>(payload.size()));
    REQUIRE(call(L, 4) == 1);
    skynet_free(msg);
    std::vector<std::string> packets;
    if (lua_type(L, 1) == LUA_TTABLE) {
        packets = table_strings(L, 1);
        CHECK(packets.size() == (payload.size() + M - 1) / M + 1);
    } else {
        CHECK(payload.size() <= M);
        packets.push_back(lua_bytes(L, 1));
    }
    lua_settop(L, 0);
    lua_newtable(L);
    int items = 0;
    std::string single;
    for (const std::string &p : packets) {
        push_fn(L, "unpackresponse");
        lua_pushlstring(L, p.data() + 2, p.size() - 2);
        REQUIRE(lua_pcall(L, 1, 4, 0) == 0); // 2..5
        CHECK(lua_tonumber(L, 2) == session);
        CHECK(lua_toboolean(L, 3));
        if (packets.size() == 1)
            single = lua_bytes(L, 4);
        lua_pushvalue(L, 4);
        lua_rawseti(L, 1, ++items);
        lua_settop(L, 1);
    }
    if (packets.size() == 1)
        return single;
    push_fn(L, "concat");
    lua_pushvalue(L, 1);
    REQUIRE(lua_pcall(L, 1, 2, 0) == 0);
    REQUIRE(lua_type(L, 2) == LUA_TLIGHTUSERDATA);
    std::string out(static_cast<const char *>(lua_touserdata(L, 2)),
                    static_cast<size_t>(lua_tonumber(L, 3)));
    skynet_free(lua_touserdata(L, 2));
    lua_settop(L, 0);
    return out;
}

std::string random_bytes(std::mt19937 &rng, size_t n) {
    std::string s(n, '\0');
    for (char &c : s)
        c = static_cast<char>(rng());
    return s;
}

} // namespace

TEST_CASE("cluster.core requests and responses survive a split and reassembly", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    std::mt19937 rng(12345);
    for (size_t sz :
         {size_t{0}, size_t{1}, M - 1, M, M + 1, 2 * M, 2 * M + 7, 5 * M - 1, size_t{300000}}) {
        std::string payload = random_bytes(rng, sz);
        for (const std::string &addr : {std::string(), std::string("@db"), std::string(255, 'n')}) {
            for (bool push : {false, true}) {
                INFO("size " << sz << " name '" << addr << "' push " << push);
                CHECK(request_round_trip(L, addr, 77, payload, push) == payload);
            }
        }
        INFO("response size " << sz);
        CHECK(response_round_trip(L, 0xfffffffeu, payload) == payload);
    }
}

TEST_CASE("cluster.core append and concat reject what does not add up", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    auto concat = [&](const char *table_expr) {
        lua_settop(L, 0);
        push_fn(L, "concat");
        push_expr(L, table_expr);
        int n = call(L, 1);
        REQUIRE(n >= 0);
        std::string got = n == 2 ? std::string(static_cast<const char *>(lua_touserdata(L, 1)),
                                               static_cast<size_t>(lua_tonumber(L, 2)))
                                 : "<none>";
        free_msgs(L);
        lua_settop(L, 0);
        return std::make_pair(n, got);
    };
    CHECK(concat("{5, 'ab', 'cde'}") == std::make_pair(2, std::string("abcde")));
    CHECK(concat("{0}") == std::make_pair(2, std::string()));
    CHECK(concat("{5, 'ab', 'cd'}").first == 0);     // short
    CHECK(concat("{5, 'ab', 'cdef'}").first == 0);   // long
    CHECK(concat("{5, 'ab', 3, 'cde'}").first == 0); // stops at a non-string
    CHECK(concat("{'5', 'ab', 'cde'}").first == 0);  // total must be a number
    CHECK(concat("{-1}").first == 0);
    CHECK(concat("{2.5, 'ab'}").first == 0);
    CHECK(concat("{2^40, 'ab'}").first == 0);
    CHECK(concat("{}").first == 0);
    CHECK(concat("'not a table'").first == 0);

    // append: a msg becomes a string (and is freed), nil stores the third argument.
    lua_settop(L, 0);
    lua_newtable(L);
    push_fn(L, "append");
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_pushinteger(L, 3);
    REQUIRE(call(L, 3) == 1);
    push_fn(L, "append");
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, malloc_copy("xyz"));
    lua_pushinteger(L, 3);
    REQUIRE(call(L, 3) == 1);
    lua_rawgeti(L, 1, 1);
    CHECK(lua_tonumber(L, -1) == 3);
    lua_rawgeti(L, 1, 2);
    CHECK(lua_bytes(L, -1) == "xyz");
    lua_settop(L, 0);

    std::string err;
    push_fn(L, "append");
    lua_newtable(L);
    lua_pushstring(L, "not a msg");
    lua_pushinteger(L, 3);
    CHECK(call(L, 3, &err) == -1);
    CHECK(err == "Need lightuserdata");
    push_fn(L, "append");
    lua_pushnil(L);
    lua_pushnil(L);
    CHECK(call(L, 2, &err) == -1);
    CHECK(err.find("table expected") != std::string::npos);
}

TEST_CASE("cluster.core isname and nodename", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    auto isname = [&](const char *expr) {
        lua_settop(L, 0);
        push_fn(L, "isname");
        push_expr(L, expr);
        int n = call(L, 1);
        bool yes = n == 1 && lua_type(L, 1) == LUA_TBOOLEAN && lua_toboolean(L, 1);
        CHECK((n == 0 || yes));
        return yes;
    };
    CHECK(isname("'@db'"));
    CHECK(isname("'@'"));
    CHECK_FALSE(isname("'db'"));
    CHECK_FALSE(isname("''"));
    CHECK_FALSE(isname("12"));
    CHECK_FALSE(isname("nil"));
    CHECK_FALSE(isname("{}"));

    lua_settop(L, 0);
    push_fn(L, "nodename");
    REQUIRE(call(L, 0) == 1);
    std::string name = lua_bytes(L, 1);
    std::string pid = std::to_string(getpid());
    REQUIRE(name.size() > pid.size());
    CHECK(name.substr(name.size() - pid.size()) == pid);
    for (char c : name)
        CHECK(static_cast<signed char>(c) > ' ');
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0')
        CHECK(name.size() == std::strlen(host) + pid.size());
}

TEST_CASE("cluster.core argument errors", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    auto error_of = [&](const char *fn, const char *args) {
        lua_settop(L, 0);
        std::string chunk = std::string("return cluster.") + fn + "(" + args + ")";
        REQUIRE(luaL_loadstring(L, chunk.c_str()) == 0);
        std::string err;
        int n = call(L, 0, &err);
        free_msgs(L);
        lua_settop(L, 0);
        return n == -1 ? err : std::string("<no error>");
    };
    CHECK(error_of("packrequest", "1, 1, 'not a msg', 1").find("Invalid request message") !=
          std::string::npos);
    CHECK(error_of("packrequest", "1, 1, nil, 1").find("Invalid request message") !=
          std::string::npos);
    CHECK(error_of("packpush", "{}, 1, nil, 1").find("Invalid request message") !=
          std::string::npos);
    CHECK(error_of("packtrace", "nil").find("string expected") != std::string::npos);
    CHECK(error_of("unpackrequest", "nil").find("string expected") != std::string::npos);
    CHECK(error_of("unpackresponse", "nil").find("string expected") != std::string::npos);
    CHECK(error_of("packresponse", "1.5, true, 'x'").find("no integer representation") !=
          std::string::npos);
    CHECK(error_of("packresponse", "1, true, nil, 4").find("NULL message") != std::string::npos);
    CHECK(error_of("packresponse", "1, true, nil, -1").find("size out of range") !=
          std::string::npos);
    CHECK(error_of("packresponse", "1, true, nil, 0") == "<no error>");

    // (msg, sz) with a size that would make upstream read out of bounds.
    char body[16] = {};
    auto unpack_msg = [&](void *msg, lua_Number sz) {
        lua_settop(L, 0);
        push_fn(L, "unpackrequest");
        lua_pushlightuserdata(L, msg);
        lua_pushnumber(L, sz);
        std::string err;
        int n = call(L, 2, &err);
        free_msgs(L);
        lua_settop(L, 0);
        return n == -1 ? err : std::string("<no error>");
    };
    CHECK(unpack_msg(body, -1).find("size out of range") != std::string::npos);
    CHECK(unpack_msg(body, 1.5).find("no integer representation") != std::string::npos);
    CHECK(unpack_msg(nullptr, 9).find("NULL message") != std::string::npos);
    CHECK(unpack_msg(body, 0) == "Invalid req package. size == 0");
    CHECK(unpack_msg(body, 9) == "<no error>");
}

// Each pack call is handed a fresh heap msg; a missed free shows as live heap growth.
TEST_CASE("cluster.core packrequest frees msg on every path; packresponse never", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    constexpr size_t big = 1 << 20;
    constexpr int rounds = 32;
    auto live = [] {
        struct mallinfo2 mi = mallinfo2();
        return mi.uordblks + mi.hblkhd;
    };
    struct call_case {
        const char *fn;
        const char *addr; // Lua expression
        const char *session;
        const char *sz; // nil: the msg size
        bool fails;
    };
    const call_case cases[] = {
        {"packrequest", "1", "1", nullptr, false},
        {"packpush", "'@name'", "9", nullptr, false},
        {"packrequest", "'@name'", "0", nullptr, true},
        {"packpush", "1", "2^31", nullptr, true},
        {"packrequest", "''", "1", nullptr, true},
        {"packrequest", "string.rep('n', 256)", "1", nullptr, true},
        {"packpush", "{}", "1", nullptr, true},
        {"packrequest", "1", "'x'", nullptr, true},
        {"packrequest", "1", "1.5", nullptr, true},
        {"packrequest", "1", "1", "-1", true},
        {"packrequest", "1", "1", "'many'", true},
    };
    for (const call_case &c : cases) {
        INFO(c.fn << "(" << c.addr << ", " << c.session << ", msg, " << (c.sz ? c.sz : "sz")
                  << ")");
        [[maybe_unused]] size_t before = live();
        for (int i = 0; i < rounds; i++) {
            lua_settop(L, 0);
            push_fn(L, c.fn);
            push_expr(L, c.addr);
            push_expr(L, c.session);
            lua_pushlightuserdata(L, skynet_malloc(big));
            if (c.sz != nullptr)
                push_expr(L, c.sz);
            else
                lua_pushinteger(L, big);
            std::string err;
            int n = call(L, 4, &err);
            CHECK((n == -1) == c.fails);
            lua_settop(L, 0);
            lua_gc(L, LUA_GCCOLLECT, 0);
        }
#if !defined(__SANITIZE_ADDRESS__) // ASan's own leak check covers this there
        CHECK(live() < before + big);
#endif
    }

    // append frees what it stores, even when its size argument is bad.
    [[maybe_unused]] size_t before = live();
    for (int i = 0; i < rounds; i++) {
        lua_settop(L, 0);
        lua_newtable(L);
        push_fn(L, "append");
        lua_pushvalue(L, 1);
        lua_pushlightuserdata(L, skynet_malloc(big));
        lua_pushinteger(L, i % 2 == 0 ? 16 : -1);
        call(L, 3);
        lua_settop(L, 0);
        lua_gc(L, LUA_GCCOLLECT, 0);
    }
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(live() < before + big);
#endif
}

// Random and truncated bodies through every decoder: errors are fine, crashes and
// over-reads (caught by ASan: request bodies sit in exact-size heap buffers) are not.
TEST_CASE("cluster.core decoders survive random and truncated input", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    std::mt19937 rng(20240601);
    const uint8_t types[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x41, 0x80, 0x81, 0xc1};

    std::vector<std::string> bodies;
    // Truncations of real packets.
    std::string payload = random_bytes(rng, 40000);
    for (const char *addr : {"7", "'@abc'"}) {
        lua_settop(L, 0);
        push_fn(L, "packrequest");
        push_expr(L, addr);
        lua_pushinteger(L, 5);
        lua_pushlightuserdata(L, malloc_copy(payload));
        lua_pushinteger(L, 40);
        REQUIRE(call(L, 4) == 2);
        std::string small = lua_bytes(L, 1).substr(2);
        lua_settop(L, 0);
        push_fn(L, "packpush");
        push_expr(L, addr);
        lua_pushinteger(L, 5);
        lua_pushlightuserdata(L, malloc_copy(payload));
        lua_pushinteger(L, static_cast<lua_Integer>(payload.size()));
        REQUIRE(call(L, 4) == 3);
        std::vector<std::string> packets{lua_bytes(L, 1)};
        auto parts = table_strings(L, 3);
        packets.insert(packets.end(), parts.begin(), parts.end());
        packets.push_back("xx" + small);
        for (const std::string &p : packets) {
            std::string body = p.substr(2);
            for (size_t cut = 0; cut <= std::min<size_t>(body.size(), 48); cut++)
                bodies.push_back(body.substr(0, cut));
            bodies.push_back(body.substr(0, body.size() - 1));
        }
    }
    for (int i = 0; i < 4000; i++) {
        std::string b = random_bytes(rng, rng() % 40);
        if (!b.empty() && rng() % 4 != 0)
            b[0] = static_cast<char>(types[rng() % std::size(types)]);
        if (b.size() > 1 && (static_cast<uint8_t>(b[0]) & 0x80) && rng() % 2 == 0)
            b[1] = static_cast<char>(rng() % (b.size() + 4));
        bodies.push_back(b);
    }

    int decoded = 0;
    for (const std::string &body : bodies) {
        // (msg, sz) in an exact-size buffer, then as a string.
        lua_settop(L, 0);
        push_fn(L, "unpackrequest");
        void *msg = skynet_malloc(std::max<size_t>(body.size(), 1));
        std::memcpy(msg, body.data(), body.size());
        lua_pushlightuserdata(L, msg);
        lua_pushinteger(L, static_cast<lua_Integer>(body.size()));
        int n = call(L, 2);
        skynet_free(msg);
        if (n > 0) {
            decoded++;
            // Any returned msg is a fresh buffer no larger than the body.
            for (int i = 1; i < n; i++) {
                if (lua_type(L, i) == LUA_TLIGHTUSERDATA)
                    CHECK(lua_tonumber(L, i + 1) <= static_cast<double>(body.size()));
            }
        }
        free_msgs(L);
        lua_settop(L, 0);
        push_fn(L, "unpackrequest");
        lua_pushlstring(L, body.data(), body.size());
        CHECK(call(L, 1) == n);
        free_msgs(L);

        lua_settop(L, 0);
        push_fn(L, "unpackresponse");
        lua_pushlstring(L, body.data(), body.size());
        n = call(L, 1);
        CHECK((n == 0 || n == 3 || n == 4));
        lua_settop(L, 0);
    }
    CHECK(decoded > 100); // the corpus reaches the decoders, not only the size checks

    // concat over random tables.
    for (int i = 0; i < 2000; i++) {
        lua_settop(L, 0);
        push_fn(L, "concat");
        lua_newtable(L);
        int items = static_cast<int>(rng() % 6);
        for (int k = 1; k <= items; k++) {
            switch (rng() % 4) {
            case 0:
                lua_pushnumber(L, static_cast<int>(rng() % 40) - 5);
                break;
            case 1:
                lua_pushnumber(L, (rng() % 100) / 7.0);
                break;
            case 2:
                lua_pushboolean(L, 1);
                break;
            default: {
                std::string s = random_bytes(rng, rng() % 12);
                lua_pushlstring(L, s.data(), s.size());
            }
            }
            lua_rawseti(L, -2, k);
        }
        int n = call(L, 1);
        CHECK((n == 0 || n == 2));
        free_msgs(L);
    }
}

// --- the variants our own cluster services use (not in upstream) ---

namespace {

// Calls fn(args...) where args are on the stack from index 1; returns the
// first two results as bytes of a msg (freed) and the remaining ones untouched.
std::string take_msg(lua_State *L, int idx) {
    REQUIRE(lua_type(L, idx) == LUA_TLIGHTUSERDATA);
    std::string out(static_cast<const char *>(lua_touserdata(L, idx)),
                    static_cast<size_t>(lua_tonumber(L, idx + 1)));
    skynet_free(lua_touserdata(L, idx));
    return out;
}

// The bytes of every packet a string pack call returned (results 1..n).
std::string joined_packets(lua_State *L, int n, bool response) {
    std::string out;
    if (response && lua_type(L, 1) == LUA_TTABLE) {
        for (const std::string &p : table_strings(L, 1))
            out += p;
        return out;
    }
    out = lua_bytes(L, 1);
    if (!response && n == 3) {
        for (const std::string &p : table_strings(L, 3))
            out += p;
    }
    return out;
}

// Splits a stream of length-prefixed packets into bodies.
std::vector<std::string> split_packets(const std::string &stream) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < stream.size()) {
        REQUIRE(stream.size() - at >= 2);
        size_t len = length_prefix(stream.substr(at, 2));
        REQUIRE(stream.size() - at - 2 >= len);
        out.push_back(stream.substr(at + 2, len));
        at += 2 + len;
    }
    return out;
}

// Feeds items to append/concat and to assembly/assemble/assembled; both must
// agree. An item is a Lua expression; strings are passed as msg, sz.
std::pair<int, std::string> assemble_both(lua_State *L, const std::vector<std::string> &items,
                                          bool native) {
    lua_settop(L, 0);
    if (native) {
        push_fn(L, "assembly");
        REQUIRE(call(L, 0) == 1);
    } else {
        lua_newtable(L);
    }
    for (const std::string &item : items) {
        push_expr(L, item);
        int v = lua_gettop(L);
        push_fn(L, native ? "assemble" : "append");
        lua_pushvalue(L, 1);
        void *msg = nullptr;
        if (lua_type(L, v) == LUA_TSTRING) {
            std::string s = lua_bytes(L, v);
            msg = malloc_copy(s);
            lua_pushlightuserdata(L, msg);
            lua_pushinteger(L, static_cast<lua_Integer>(s.size()));
        } else {
            lua_pushnil(L);
            lua_pushvalue(L, v);
        }
        REQUIRE(lua_pcall(L, 3, 0, 0) == 0);
        if (native)
            skynet_free(msg); // assemble copies; append took it over
        lua_settop(L, 1);
    }
    push_fn(L, native ? "assembled" : "concat");
    lua_pushvalue(L, 1);
    REQUIRE(lua_pcall(L, 1, LUA_MULTRET, 0) == 0);
    int n = lua_gettop(L) - 1;
    std::string got = n == 2 ? take_msg(L, 2) : "<none>";
    lua_settop(L, 0);
    return {n, got};
}

} // namespace

TEST_CASE("cluster.core _msg variants give the bytes of the packet strings", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    int checked = 0;
    for (const json &rec : load_records()) {
        std::string op = rec["op"].get<std::string>();
        if (op != "packrequest" && op != "packpush" && op != "packresponse")
            continue;
        INFO("record " << rec["name"].get<std::string>());
        std::string payload = payload_of(L, rec);
        bool response = op == "packresponse";
        bool as_msg = !response || rec["payload_form"].get<std::string>() == "msg";
        auto run = [&](const std::string &fn, std::string *err) {
            lua_settop(L, 0);
            push_fn(L, fn.c_str());
            if (response) {
                lua_pushnumber(L, rec["session"].get<double>());
                lua_pushboolean(L, rec["ok"].get<bool>());
            } else {
                push_expr(L, rec["addr_lua"].get<std::string>());
                lua_pushnumber(L, rec["session"].get<double>());
            }
            void *msg = nullptr;
            if (as_msg) {
                msg = malloc_copy(payload);
                lua_pushlightuserdata(L, msg);
                lua_pushinteger(L, static_cast<lua_Integer>(payload.size()));
            } else {
                lua_pushlstring(L, payload.data(), payload.size());
            }
            int n = call(L, as_msg ? 4 : 3, err);
            if (response)
                skynet_free(msg); // packresponse never takes it
            return n;
        };
        std::string err_strings, err_msg;
        int n = run(op, &err_strings);
        std::string expect = n > 0 ? joined_packets(L, n, response) : "";
        bool multi = response ? lua_type(L, 1) == LUA_TTABLE : n == 3;
        double next = (!response && n > 0) ? lua_tonumber(L, 2) : 0;
        int m = run(op + "_msg", &err_msg);
        if (n == -1) {
            CHECK(m == -1);
            CHECK(err_msg == err_strings);
            checked++;
            continue;
        }
        REQUIRE(m == (response ? 3 : 4));
        CHECK(static_cast<bool>(lua_toboolean(L, m)) == multi);
        if (!response)
            CHECK(lua_tonumber(L, 3) == next);
        CHECK(take_msg(L, 1) == expect);
        checked++;
    }
    CHECK(checked == 101);
}

TEST_CASE("cluster.core borrowed parts, assembly and whole-packet responses round trip",
          "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    std::mt19937 rng(777);
    for (size_t sz : {size_t{0}, size_t{5}, M - 1, M, M + 1, 3 * M, 3 * M + 9, size_t{300000}}) {
        INFO("size " << sz);
        std::string payload = random_bytes(rng, sz);

        // request: packrequest_msg, unpackrequest_borrow per packet, assembly
        lua_settop(L, 0);
        push_fn(L, "packrequest_msg");
        lua_pushstring(L, "@svc");
        lua_pushinteger(L, 42);
        lua_pushlightuserdata(L, malloc_copy(payload));
        lua_pushinteger(L, static_cast<lua_Integer>(payload.size()));
        REQUIRE(call(L, 4) == 4);
        std::string stream = take_msg(L, 1);
        auto bodies = split_packets(stream);
        CHECK(bodies.size() == (sz < M ? 1 : 1 + (sz + M - 1) / M));
        lua_settop(L, 0);
        push_fn(L, "assembly");
        REQUIRE(call(L, 0) == 1); // index 1
        std::string got;
        for (const std::string &body : bodies) {
            void *msg = malloc_copy(body);
            push_fn(L, "unpackrequest_borrow");
            lua_pushlightuserdata(L, msg);
            lua_pushinteger(L, static_cast<lua_Integer>(body.size()));
            REQUIRE(lua_pcall(L, 2, 6, 0) == 0); // 2..7
            if (bodies.size() == 1) {
                got = take_msg(L, 4);
            } else {
                if (lua_type(L, 2) == LUA_TBOOLEAN) {
                    // a part: the payload lies inside the packet
                    auto *p = static_cast<char *>(lua_touserdata(L, 4));
                    CHECK(p == static_cast<char *>(msg) + 5);
                }
                push_fn(L, "assemble");
                lua_pushvalue(L, 1);
                lua_pushvalue(L, 4);
                lua_pushvalue(L, 5);
                REQUIRE(lua_pcall(L, 3, 0, 0) == 0);
            }
            skynet_free(msg);
            lua_settop(L, 1);
        }
        if (bodies.size() > 1) {
            push_fn(L, "assembled");
            lua_pushvalue(L, 1);
            REQUIRE(lua_pcall(L, 1, 2, 0) == 0);
            got = take_msg(L, 2);
        }
        CHECK(got == payload);

        // response: packresponse_msg, then as clustersender reads it: each
        // body as msg (unpackresponse_msg), gathered as socketchannel does,
        // and responsemsg
        lua_settop(L, 0);
        push_fn(L, "packresponse_msg");
        lua_pushinteger(L, 9);
        lua_pushboolean(L, 1);
        lua_pushlstring(L, payload.data(), payload.size());
        REQUIRE(call(L, 3) == 3);
        CHECK(static_cast<bool>(lua_toboolean(L, 3)) == (sz > M));
        bodies = split_packets(take_msg(L, 1));
        lua_settop(L, 0);
        lua_newtable(L); // socketchannel's parts, index 1
        int items = 0;
        for (const std::string &body : bodies) {
            push_fn(L, "unpackresponse_msg");
            lua_pushlightuserdata(L, malloc_copy(body));
            lua_pushinteger(L, static_cast<lua_Integer>(body.size()));
            REQUIRE(lua_pcall(L, 2, 4, 0) == 0); // 2..5
            CHECK(lua_tonumber(L, 2) == 9);
            CHECK(lua_toboolean(L, 3));
            CHECK(static_cast<bool>(lua_toboolean(L, 5)) == (body.data() != bodies.back().data()));
            if (items == 0 && bodies.size() > 1)
                CHECK(lua_tonumber(L, 4) == static_cast<double>(sz));
            lua_pushvalue(L, 4);
            lua_rawseti(L, 1, ++items);
            lua_settop(L, 1);
        }
        push_fn(L, "responsemsg");
        if (bodies.size() == 1)
            lua_rawgeti(L, 1, 1);
        else
            lua_pushvalue(L, 1);
        REQUIRE(lua_pcall(L, 1, 2, 0) == 0);
        CHECK(take_msg(L, 2) == payload);
        // a payload is taken once
        lua_settop(L, 1);
        push_fn(L, "responsemsg");
        lua_rawgeti(L, 1, bodies.size() == 1 ? 1 : 2);
        CHECK(call(L, 1) == 1); // the table alone: no results
        lua_settop(L, 0);
    }

    auto unpack_msg = [&](const std::string &body) {
        lua_settop(L, 0);
        push_fn(L, "unpackresponse_msg");
        lua_pushlightuserdata(L, malloc_copy(body));
        lua_pushinteger(L, static_cast<lua_Integer>(body.size()));
        return call(L, 2);
    };
    // an error response keeps its text as data; the rest as unpackresponse
    REQUIRE(unpack_msg(std::string("\x01\0\0\0\0oops", 9)) == 3);
    CHECK(lua_tonumber(L, 1) == 1);
    CHECK_FALSE(lua_toboolean(L, 2));
    CHECK(lua_bytes(L, 3) == "oops");
    CHECK(unpack_msg(std::string("\x01\0\0\0\x02\x05\0\0\0", 9)) == 4);
    CHECK(lua_tonumber(L, 3) == 5);
    CHECK(unpack_msg(std::string("\x01\0\0\0\x02\x05\0\0", 8)) == 0);
    CHECK(unpack_msg(std::string("\x01\0\0\0\x07xyz", 8)) == 0);
    CHECK(unpack_msg(std::string("\x01\0\0", 3)) == 0);
    lua_settop(L, 0);
    push_fn(L, "responsemsg");
    lua_pushstring(L, "abc");
    CHECK(call(L, 1) == 0);
    lua_settop(L, 0);
    // payloads that do not add up to the total
    auto push_part = [&](const std::string &bytes) {
        int top = lua_gettop(L);
        std::string body = std::string("\0\0\0\0\x03", 5) + bytes;
        push_fn(L, "unpackresponse_msg");
        lua_pushlightuserdata(L, malloc_copy(body));
        lua_pushinteger(L, static_cast<lua_Integer>(body.size()));
        REQUIRE(lua_pcall(L, 2, 3, 0) == 0);
        lua_replace(L, top + 1); // keep the data only
        lua_settop(L, top + 1);
    };
    for (int total : {4, 5, 6}) {
        INFO("total " << total);
        lua_settop(L, 0);
        push_fn(L, "responsemsg");
        lua_newtable(L); // 2
        lua_pushinteger(L, total);
        lua_rawseti(L, 2, 1);
        push_part("abc");
        lua_rawseti(L, 2, 2);
        push_part("de");
        lua_rawseti(L, 2, 3);
        int n = call(L, 1);
        CHECK(n == (total == 5 ? 2 : 0));
        if (n == 2)
            CHECK(take_msg(L, 1) == "abcde");
    }
    lua_settop(L, 0);
}

TEST_CASE("cluster.core assembly agrees with append and concat", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    const std::vector<std::vector<std::string>> cases = {
        {"5", "'ab'", "'cde'"},
        {"0"},
        {"5", "'ab'", "'cd'"},
        {"5", "'ab'", "'cdef'"},
        {"5", "'ab'", "3", "'cde'"},
        {"2", "'ab'", "3", "'cde'"},
        {"'ab'", "'cde'"},
        {"-1"},
        {"2.5", "'ab'"},
        {"2^40", "'ab'"},
        {},
        {"3", "'abc'", "''"},
        {"3", "true", "'abc'"},
        {"3", "'a'", "true", "'bc'"},
        {"70000", "string.rep('x', 32768)", "string.rep('y', 32768)", "string.rep('z', 4464)"},
        {"70000", "string.rep('x', 32768)", "string.rep('y', 40000)"},
    };
    for (const auto &items : cases) {
        std::string text;
        for (const auto &i : items)
            text += i + " ";
        INFO("items " << text);
        auto table = assemble_both(L, items, false);
        auto native = assemble_both(L, items, true);
        CHECK(native == table);
    }

    std::string err;
    lua_settop(L, 0);
    push_fn(L, "assembly");
    REQUIRE(call(L, 0) == 1);
    push_fn(L, "assemble");
    lua_pushvalue(L, 1);
    lua_pushstring(L, "not a msg");
    lua_pushinteger(L, 3);
    CHECK(call(L, 3, &err) == -1);
    CHECK(err == "Need lightuserdata");
    lua_settop(L, 0);
    push_fn(L, "assembled");
    lua_newtable(L);
    CHECK(call(L, 1, &err) == -1);
}

TEST_CASE("cluster.core packpush_batch collects the bytes of packpush", "[cluster]") {
    auto state = new_state();
    lua_State *L = state.get();
    std::mt19937 rng(99);
    lua_settop(L, 0);
    push_fn(L, "batch");
    REQUIRE(call(L, 0) == 1); // index 1
    std::string expect;
    for (int round = 0; round < 3; round++) {
        for (size_t sz : {size_t{0}, size_t{7}, size_t{300}, M - 1, M, 3 * M + 1}) {
            INFO("round " << round << " size " << sz);
            std::string payload = random_bytes(rng, sz);
            const char *addr = sz % 2 ? "'@sink'" : "9";
            lua_settop(L, 1);
            push_fn(L, "packpush");
            push_expr(L, addr);
            lua_pushinteger(L, 5);
            lua_pushlightuserdata(L, malloc_copy(payload));
            lua_pushinteger(L, static_cast<lua_Integer>(sz));
            int n = call(L, 4) - 1;
            std::string packets;
            for (int i = 2; i <= n + 1; i++) {
                if (lua_type(L, i) == LUA_TSTRING)
                    packets += lua_bytes(L, i);
            }
            if (n == 3)
                for (const std::string &p : table_strings(L, 4))
                    packets += p;
            lua_settop(L, 1);
            push_fn(L, "packpush_batch");
            lua_pushvalue(L, 1);
            push_expr(L, addr);
            lua_pushinteger(L, 5);
            lua_pushlightuserdata(L, malloc_copy(payload));
            lua_pushinteger(L, static_cast<lua_Integer>(sz));
            int m = call(L, 5) - 1;
            if (sz < M) {
                CHECK(m == 0); // in the batch
                expect += packets;
            } else {
                REQUIRE(m == 4);
                CHECK(lua_tonumber(L, 4) == 6);
                CHECK(lua_toboolean(L, 5));
                CHECK(take_msg(L, 2) == packets);
            }
        }
        lua_settop(L, 1);
        push_fn(L, "batchmsg");
        lua_pushvalue(L, 1);
        REQUIRE(call(L, 1) == 3);
        CHECK(take_msg(L, 2) == expect);
        expect.clear();
        lua_settop(L, 1);
        push_fn(L, "batchmsg");
        lua_pushvalue(L, 1);
        CHECK(call(L, 1) == 1); // empty now
    }
    // a wrong batch argument still frees msg (ASan would see a leak)
    lua_settop(L, 0);
    push_fn(L, "packpush_batch");
    lua_newtable(L);
    lua_pushinteger(L, 1);
    lua_pushinteger(L, 5);
    lua_pushlightuserdata(L, malloc_copy("abc"));
    lua_pushinteger(L, 3);
    std::string err;
    CHECK(call(L, 5, &err) == -1);
    CHECK(err.find("skynet.cluster.batch expected") != std::string::npos);
}
