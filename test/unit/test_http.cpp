// The native parts of the http library: the websocket frame codec against
// RFC 6455's examples and its protocol errors, the http.websocket.core
// binding (handshake keys, masking), and ltls.c doing a whole TLS session
// between a client and a server object in one LuaJIT state.
#include <catch2/catch.hpp>

#include "lua/modules.h"
#include "lua/websocket/frame.h"
#include "lua_chunk.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

using websocket::FrameHeader;
using websocket::Opcode;

std::vector<uint8_t> bytes(std::initializer_list<int> list) {
    std::vector<uint8_t> v;
    for (int b : list)
        v.push_back(static_cast<uint8_t>(b));
    return v;
}

bool parse(const std::vector<uint8_t> &v, FrameHeader &h, const char *&error) {
    size_t n = websocket::header_size(v[0], v[1]);
    REQUIRE(n <= v.size());
    return websocket::parse_header({v.data(), n}, h, error);
}

struct LuaClose {
    void operator()(lua_State *L) const { lua_close(L); }
};
using LuaPtr = std::unique_ptr<lua_State, LuaClose>;

LuaPtr lua_with_http_modules() {
    LuaPtr L(luaL_newstate());
    luaL_openlibs(L.get());
    skynet_lua_preload(L.get());
    return L;
}

} // namespace

TEST_CASE("websocket frame headers decode RFC 6455's examples", "[http]") {
    FrameHeader h;
    const char *error = nullptr;
    auto masked = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    REQUIRE(parse(masked, h, error));
    CHECK(h.fin);
    CHECK(h.opcode == Opcode::text);
    CHECK(h.masked);
    CHECK(h.length == 5);
    std::vector<uint8_t> payload(masked.begin() + 6, masked.end());
    websocket::apply_mask(payload, h.mask);
    CHECK(std::string(payload.begin(), payload.end()) == "Hello");

    REQUIRE(parse(bytes({0x01, 0x03}), h, error)); // first fragment, unmasked
    CHECK_FALSE(h.fin);
    CHECK_FALSE(h.masked);
    REQUIRE(parse(bytes({0x82, 0x7e, 0x01, 0x00}), h, error));
    CHECK(h.length == 256);
    REQUIRE(parse(bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}), h, error));
    CHECK(h.length == 65536);
    CHECK(websocket::header_size(0x82, 0xff) == 14);
}

TEST_CASE("websocket frame headers: protocol errors are refused", "[http]") {
    FrameHeader h;
    const char *error = nullptr;
    CHECK_FALSE(parse(bytes({0xc1, 0x00}), h, error)); // RSV1 without an extension
    CHECK(std::string(error) == "reserved bits set");
    CHECK_FALSE(parse(bytes({0x83, 0x00}), h, error));
    CHECK(std::string(error) == "unknown opcode");
    CHECK_FALSE(parse(bytes({0x09, 0x00}), h, error));             // fragmented ping
    CHECK_FALSE(parse(bytes({0x89, 0x7e, 0x00, 0x7e}), h, error)); // 126-byte ping
    CHECK_FALSE(parse(bytes({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}), h, error));
    CHECK(std::string(error) == "payload length has the top bit set");
}

TEST_CASE("websocket frame headers round-trip through write_header", "[http]") {
    for (uint64_t len : {0ULL, 125ULL, 126ULL, 65535ULL, 65536ULL, 1ULL << 40}) {
        FrameHeader out{true, Opcode::binary, len % 2 == 0, len, {1, 2, 3, 4}};
        std::array<uint8_t, websocket::kMaxHeader> buf;
        size_t n = websocket::write_header(buf, out);
        CHECK(n == websocket::header_size(buf[0], buf[1]));
        FrameHeader in;
        const char *error = nullptr;
        REQUIRE(websocket::parse_header({buf.data(), n}, in, error));
        CHECK(in.length == len);
        CHECK(in.masked == out.masked);
    }
}

TEST_CASE("http.websocket.core: handshake keys, frames, masking", "[http]") {
    LuaPtr L = lua_with_http_modules();
    CHECK(run_chunk(L.get(), R"(
        local core = require "http.websocket.core"
        -- RFC 6455 section 1.3
        assert(core.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        local key = core.new_key()
        assert(#key == 24 and core.key_valid(key) and key ~= core.new_key())
        assert(not core.key_valid("c2hvcnQ=") and not core.key_valid(string.rep("A", 24)))
        assert(core.frame(1, "Hello") == "\129\5Hello")
        local f = core.frame(1, "Hello", "\55\250\33\61")
        assert(f == "\129\133\55\250\33\61\127\159\77\81\88", "masked frame")
        assert(core.frame(1, "Hello", 0x37fa213d) == f, "numeric key")
        local fin, op, len, mask = core.parse(f:sub(1, core.header_size(f:sub(1, 2))))
        assert(fin == true and op == 1 and len == 5 and mask == "\55\250\33\61")
        assert(core.unmask(f:sub(7), mask) == "Hello")
        local none, err = core.parse("\195\0")
        assert(none == nil and err == "reserved bits set")
        assert(#core.frame(2, string.rep("x", 70000)) == 70010)
    )") == "");
}

TEST_CASE("ltls.c: a client and a server finish a TLS session in memory", "[http]") {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("skynet-ltls-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -days 1 -nodes -subj /CN=localhost "
                      "-keyout " +
                      key + " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);

    LuaPtr L = lua_with_http_modules();
    lua_pushstring(L.get(), cert.c_str());
    lua_setglobal(L.get(), "CERT");
    lua_pushstring(L.get(), key.c_str());
    lua_setglobal(L.get(), "KEY");
    CHECK(run_chunk(L.get(), R"(
        local c = require "ltls.c"
        require("ltls.init.c").constructor()
        local sctx = c.newctx()
        sctx:set_cert(CERT, KEY)
        local server = c.newtls("server", sctx)
        local client = c.newtls("client", c.newctx(), "localhost")
        -- pump handshake bytes both ways until both ends are done
        local c2s, s2c = client:handshake() or "", ""
        assert(#c2s > 0, "client hello")
        for _ = 1, 10 do
            if not server:finished() then
                s2c, c2s = s2c .. (server:handshake(c2s) or ""), ""
            end
            if not client:finished() then
                c2s, s2c = c2s .. (client:handshake(s2c) or ""), ""
            end
            if client:finished() and server:finished() then
                break
            end
        end
        -- what is left (TLS 1.3 session tickets) carries no application data
        assert(client:read(s2c) == "" and server:read(c2s) == "")
        assert(client:finished() and server:finished(), "handshake")
        local sealed = client:write("ping over tls")
        assert(not sealed:find("ping", 1, true), "encrypted")
        assert(server:read(sealed) == "ping over tls")
        assert(client:read(server:write("pong")) == "pong")
        local ok, err = pcall(sctx.set_cert, sctx, CERT .. ".missing", KEY)
        assert(not ok and err:find("SSL_CTX_use_certificate_chain_file", 1, true))
        ok, err = pcall(c.newtls, "sideways", sctx)
        assert(not ok and err:find("invalid method", 1, true))
        client:close()
        ok, err = pcall(client.write, client, "x")
        assert(not ok and err:find("closed", 1, true))
    )") == "");
    fs::remove_all(dir);
}
