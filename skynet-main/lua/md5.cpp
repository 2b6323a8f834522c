// md5: upstream's lua-md5 module as skynet ships it (md5.core plus md5.lua
// folded into one), on OpenSSL's MD5. mongo.lua uses sumhexa for its
// password digests.
//   sum(s)            16 raw bytes
//   sumhexa(s)        32 lower-case hex digits
//   hmacmd5(data, key) HMAC-MD5 in hex (note the argument order)
//   exor(a, b)        bytewise xor of two strings of equal length
#define OPENSSL_SUPPRESS_DEPRECATED
#include "modules.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>

#include <string_view>

namespace {

std::string_view check_bytes(lua_State *L, int arg) {
    size_t n = 0;
    const char *s = luaL_checklstring(L, arg, &n);
    return {s, n};
}

void push_hex(lua_State *L, const unsigned char *p, size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    char out[2 * EVP_MAX_MD_SIZE];
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xf];
    }
    lua_pushlstring(L, out, 2 * n);
}

void digest(std::string_view s, unsigned char out[MD5_DIGEST_LENGTH]) {
    MD5(reinterpret_cast<const unsigned char *>(s.data()), s.size(), out);
}

int lsum(lua_State *L) {
    unsigned char d[MD5_DIGEST_LENGTH];
    digest(check_bytes(L, 1), d);
    lua_pushlstring(L, reinterpret_cast<const char *>(d), sizeof d);
    return 1;
}

int lsumhexa(lua_State *L) {
    unsigned char d[MD5_DIGEST_LENGTH];
    digest(check_bytes(L, 1), d);
    push_hex(L, d, sizeof d);
    return 1;
}

// Upstream's Lua version shortens a key over 64 bytes to its MD5, as RFC 2104
// does, so OpenSSL's HMAC gives the same bytes.
int lhmacmd5(lua_State *L) {
    std::string_view data = check_bytes(L, 1);
    std::string_view key = check_bytes(L, 2);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char *>(data.data()), data.size(), d, &len) == nullptr)
        return luaL_error(L, "hmacmd5 failed");
    push_hex(L, d, len);
    return 1;
}

int lexor(lua_State *L) {
    std::string_view a = check_bytes(L, 1);
    std::string_view b = check_bytes(L, 2);
    luaL_argcheck(L, a.size() == b.size(), 2, "lengths must be equal");
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    for (size_t i = 0; i < a.size(); ++i)
        luaL_addchar(&buf, static_cast<char>(a[i] ^ b[i]));
    luaL_pushresult(&buf);
    return 1;
}

} // namespace

extern "C" int luaopen_md5(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"sum", lsum},   {"sumhexa", lsumhexa}, {"hmacmd5", lhmacmd5},
        {"exor", lexor}, {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, functions);
    lua_pushliteral(L, "MD5 1.2");
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
