// http.websocket.core: the byte work of http.websocket (frame headers,
// masking, the handshake keys), so the Lua side stays on strings.
#include "frame.h"
#include "modules.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using websocket::FrameHeader;
using websocket::MaskKey;
using websocket::Opcode;

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kClientKeyBytes = 16;

std::string_view check_view(lua_State *L, int idx) {
    size_t len = 0;
    const char *s = luaL_checklstring(L, idx, &len);
    return {s, len};
}

std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

void push_base64(lua_State *L, std::span<const uint8_t> raw) {
    std::array<unsigned char, 64> out; // enough for a SHA-1 or a 16-byte key
    int n = EVP_EncodeBlock(out.data(), raw.data(), static_cast<int>(raw.size()));
    lua_pushlstring(L, reinterpret_cast<const char *>(out.data()), static_cast<size_t>(n));
}

// A mask key given as a 32-bit number (upstream's write) or 4 bytes.
MaskKey check_mask(lua_State *L, int idx) {
    MaskKey key{};
    if (lua_type(L, idx) == LUA_TNUMBER) {
        auto v = static_cast<uint32_t>(static_cast<int64_t>(lua_tonumber(L, idx)));
        for (int i = 0; i < 4; ++i)
            key[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
        return key;
    }
    std::string_view s = check_view(L, idx);
    if (s.size() != key.size())
        luaL_argerror(L, idx, "mask key must be 4 bytes");
    std::memcpy(key.data(), s.data(), key.size());
    return key;
}

// header_size(first_two_bytes) -> bytes of the whole header
int l_header_size(lua_State *L) {
    std::string_view s = check_view(L, 1);
    if (s.size() < 2)
        return luaL_argerror(L, 1, "need the first two bytes");
    lua_pushinteger(L, static_cast<lua_Integer>(websocket::header_size(s[0], s[1])));
    return 1;
}

// parse(header) -> fin, opcode, length, mask|nil  or  nil, error
int l_parse(lua_State *L) {
    FrameHeader h;
    const char *error = nullptr;
    if (!websocket::parse_header(as_bytes(check_view(L, 1)), h, error)) {
        lua_pushnil(L);
        lua_pushstring(L, error);
        return 2;
    }
    lua_pushboolean(L, h.fin);
    lua_pushinteger(L, static_cast<lua_Integer>(h.opcode));
    lua_pushnumber(L, static_cast<lua_Number>(h.length));
    if (h.masked)
        lua_pushlstring(L, reinterpret_cast<const char *>(h.mask.data()), h.mask.size());
    else
        lua_pushnil(L);
    return 4;
}

// unmask(payload, mask) -> payload xor mask
int l_unmask(lua_State *L) {
    std::string_view payload = check_view(L, 1);
    MaskKey key = check_mask(L, 2);
    std::string out(payload);
    websocket::apply_mask({reinterpret_cast<uint8_t *>(out.data()), out.size()}, key);
    lua_pushlstring(L, out.data(), out.size());
    return 1;
}

// frame(opcode, payload [, mask [, fin]]) -> the whole frame, masked when a
// mask key is given; fin defaults to true.
int l_frame(lua_State *L) {
    auto op = luaL_checkinteger(L, 1);
    size_t len = 0;
    const char *payload = luaL_optlstring(L, 2, "", &len);
    FrameHeader h;
    h.opcode = static_cast<Opcode>(op & 0x0F);
    h.fin = lua_isnoneornil(L, 4) || lua_toboolean(L, 4);
    h.length = len;
    h.masked = !lua_isnoneornil(L, 3);
    if (h.masked)
        h.mask = check_mask(L, 3);
    std::array<uint8_t, websocket::kMaxHeader> head;
    size_t head_len = websocket::write_header(head, h);
    std::string out;
    out.reserve(head_len + len);
    out.append(reinterpret_cast<const char *>(head.data()), head_len);
    out.append(payload, len);
    if (h.masked)
        websocket::apply_mask({reinterpret_cast<uint8_t *>(out.data()) + head_len, len}, h.mask);
    lua_pushlstring(L, out.data(), out.size());
    return 1;
}

// accept_key(client_key) -> base64(sha1(client_key .. GUID))
int l_accept_key(lua_State *L) {
    std::string input(check_view(L, 1));
    input.append(kGuid);
    std::array<uint8_t, SHA_DIGEST_LENGTH> digest;
    SHA1(reinterpret_cast<const unsigned char *>(input.data()), input.size(), digest.data());
    push_base64(L, digest);
    return 1;
}

// new_key() -> a fresh Sec-WebSocket-Key (16 random bytes, base64)
int l_new_key(lua_State *L) {
    std::array<uint8_t, kClientKeyBytes> raw;
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        return luaL_error(L, "RAND_bytes failed");
    push_base64(L, raw);
    return 1;
}

// key_valid(key) -> whether key is base64 of exactly 16 bytes
int l_key_valid(lua_State *L) {
    std::string_view key = check_view(L, 1);
    bool ok = false;
    if (key.size() == 24 && key.substr(22) == "==") {
        std::array<unsigned char, 18> raw;
        ok = EVP_DecodeBlock(raw.data(), reinterpret_cast<const unsigned char *>(key.data()),
                             static_cast<int>(key.size())) == 18;
    }
    lua_pushboolean(L, ok);
    return 1;
}

} // namespace

extern "C" int luaopen_http_websocket_core(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"header_size", l_header_size}, {"parse", l_parse},
        {"unmask", l_unmask},           {"frame", l_frame},
        {"accept_key", l_accept_key},   {"new_key", l_new_key},
        {"key_valid", l_key_valid},     {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, funcs);
    return 1;
}
