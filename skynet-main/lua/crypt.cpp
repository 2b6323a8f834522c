// skynet.crypt (also client.crypt): the primitives of skynet's login
// handshake, websocket and the database drivers, byte-compatible with
// upstream's.
//
// The standard algorithms (DES, SHA-1, HMAC-SHA1, MD5) come from OpenSSL. The
// skynet-specific ones are here: hashkey (djb2 ‖ JS hash), hmac64 (one MD5
// compression without the final feed-forward), hmac64_md5, hmac_hash, the
// 64-bit Diffie-Hellman over p = 2^64 - 59, and the forgiving base64/hex
// decoders whose exact acceptance rules clients rely on.
//
// Every check that can raise runs before output is written to memory we own:
// large outputs live in a userdata (the collector reclaims it when an error
// unwinds), small ones on the stack.
#define OPENSSL_SUPPRESS_DEPRECATED // DES_* is the only unpadded single-DES ECB
#include "modules.h"

#include <openssl/des.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>

namespace {

// Output space of n bytes: on the C stack when small, else a userdata left on
// the Lua stack.
class Scratch {
  public:
    Scratch(lua_State *L, size_t n)
        : data_(n <= local_.size() ? local_.data()
                                   : static_cast<uint8_t *>(lua_newuserdata(L, n))) {}
    Scratch(const Scratch &) = delete;
    Scratch &operator=(const Scratch &) = delete;
    uint8_t *data() { return data_; }
    const char *chars() const { return reinterpret_cast<const char *>(data_); }

  private:
    std::array<uint8_t, 256> local_;
    uint8_t *data_;
};

std::string_view check_bytes(lua_State *L, int arg) {
    size_t n = 0;
    const char *s = luaL_checklstring(L, arg, &n);
    return {s, n};
}

const uint8_t *bytes_of(std::string_view s) {
    return reinterpret_cast<const uint8_t *>(s.data());
}

void push_bytes(lua_State *L, const void *p, size_t n) {
    lua_pushlstring(L, static_cast<const char *>(p), n);
}

uint32_t load_le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void store_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t load_le64(const uint8_t *p) {
    return load_le32(p) | uint64_t(load_le32(p + 4)) << 32;
}

// A 64-bit value as two little-endian words, the way the handshake sends it.
struct Qword {
    uint32_t lo, hi;
};

Qword load_qword(const uint8_t *p) {
    return {load_le32(p), load_le32(p + 4)};
}

int push_qword(lua_State *L, Qword q) {
    uint8_t out[8];
    store_le32(out, q.lo);
    store_le32(out + 4, q.hi);
    push_bytes(L, out, sizeof out);
    return 1;
}

int push_u64(lua_State *L, uint64_t v) {
    return push_qword(L, {static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)});
}

// An 8-byte string argument, or the given error.
const uint8_t *check_key8(lua_State *L, int arg, const char *error) {
    std::string_view s = check_bytes(L, arg);
    if (s.size() != 8)
        luaL_error(L, "%s", error);
    return bytes_of(s);
}

// --- hashkey and hmac_hash ---

// djb2 in the low word, the JS hash in the high one.
Qword hash_text(std::string_view text) {
    uint32_t djb = 5381;
    uint32_t js = 1315423911;
    for (unsigned char c : text) {
        djb += (djb << 5) + c;
        js ^= (js << 5) + c + (js >> 2);
    }
    return {djb, js};
}

int lhashkey(lua_State *L) {
    return push_qword(L, hash_text(check_bytes(L, 1)));
}

// --- MD5 compression, for hmac64 ---

struct Md5Tables {
    std::array<uint32_t, 64> k;
    Md5Tables() {
        // RFC 1321's table, floor(|sin(i + 1)| * 2^32), is exact in doubles.
        for (int i = 0; i < 64; ++i)
            k[i] = static_cast<uint32_t>(std::floor(std::fabs(std::sin(i + 1.0)) * 4294967296.0));
    }
};

constexpr std::array<uint32_t, 4> md5_iv = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};

uint32_t rotl(uint32_t x, int c) {
    return (x << c) | (x >> (32 - c));
}

// The 64 MD5 rounds over one block, from the standard IV, without adding the
// IV back at the end: hmac64 is defined on that raw state.
std::array<uint32_t, 4> md5_rounds(const std::array<uint32_t, 16> &w) {
    static const Md5Tables tables;
    static constexpr int shift[4][4] = {
        {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
    auto [a, b, c, d] = md5_iv;
    for (int i = 0; i < 64; ++i) {
        uint32_t f;
        int g;
        switch (i / 16) {
        case 0:
            f = (b & c) | (~b & d);
            g = i;
            break;
        case 1:
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
            break;
        case 2:
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
            break;
        default:
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
            break;
        }
        uint32_t next = b + rotl(a + f + tables.k[i] + w[g], shift[i / 16][i % 4]);
        a = d;
        d = c;
        c = b;
        b = next;
    }
    return {a, b, c, d};
}

// The block is x.hi, x.lo, y.hi, y.lo four times; the result folds the state.
Qword hmac64(Qword x, Qword y) {
    std::array<uint32_t, 16> w;
    for (size_t i = 0; i < w.size(); i += 4) {
        w[i] = x.hi;
        w[i + 1] = x.lo;
        w[i + 2] = y.hi;
        w[i + 3] = y.lo;
    }
    auto r = md5_rounds(w);
    return {r[2] ^ r[3], r[0] ^ r[1]};
}

// Upstream's block is exactly MD5's padding of (x ‖ y) repeated three times.
Qword hmac64_md5(Qword x, Qword y) {
    uint8_t text[48];
    for (int i = 0; i < 3; ++i) {
        store_le32(text + 16 * i, x.lo);
        store_le32(text + 16 * i + 4, x.hi);
        store_le32(text + 16 * i + 8, y.lo);
        store_le32(text + 16 * i + 12, y.hi);
    }
    uint8_t digest[MD5_DIGEST_LENGTH];
    MD5(text, sizeof text, digest);
    return {load_le32(digest) ^ load_le32(digest + 8),
            load_le32(digest + 4) ^ load_le32(digest + 12)};
}

void check_pair(lua_State *L, Qword *x, Qword *y) {
    *x = load_qword(check_key8(L, 1, "Invalid uint64 x"));
    *y = load_qword(check_key8(L, 2, "Invalid uint64 y"));
}

int lhmac64(lua_State *L) {
    Qword x, y;
    check_pair(L, &x, &y);
    return push_qword(L, hmac64(x, y));
}

int lhmac64_md5(lua_State *L) {
    Qword x, y;
    check_pair(L, &x, &y);
    return push_qword(L, hmac64_md5(x, y));
}

int lhmac_hash(lua_State *L) {
    Qword key = load_qword(check_key8(L, 1, "Invalid uint64 key"));
    return push_qword(L, hmac64(hash_text(check_bytes(L, 2)), key));
}

// --- Diffie-Hellman over the largest 64-bit prime, generator 5 ---

constexpr uint64_t dh_prime = 0xffffffffffffffc5ull;
constexpr uint64_t dh_generator = 5;

uint64_t mul_mod(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % dh_prime);
}

// base^exp mod p, exp > 0. A base above p is reduced first, p itself is not,
// and an exponent of 1 returns the base as it stands: upstream does the same,
// and the result bytes must match for every input.
uint64_t pow_mod(uint64_t base, uint64_t exp) {
    if (base > dh_prime)
        base %= dh_prime;
    int top = 63 - __builtin_clzll(exp);
    uint64_t r = base;
    for (int bit = top - 1; bit >= 0; --bit) {
        r = mul_mod(r, r);
        if ((exp >> bit) & 1)
            r = mul_mod(r, base);
    }
    return r;
}

int ldhexchange(lua_State *L) {
    uint64_t x = load_le64(check_key8(L, 1, "Invalid dh uint64 key"));
    if (x == 0)
        return luaL_error(L, "Can't be 0");
    return push_u64(L, pow_mod(dh_generator, x));
}

int ldhsecret(lua_State *L) {
    uint64_t x = load_le64(check_key8(L, 1, "Invalid uint64 x"));
    uint64_t y = load_le64(check_key8(L, 2, "Invalid uint64 y"));
    if (x == 0 || y == 0)
        return luaL_error(L, "Can't be 0");
    return push_u64(L, pow_mod(x, y));
}

int lrandomkey(lua_State *L) {
    uint8_t key[8];
    if (RAND_bytes(key, sizeof key) != 1) {
        static thread_local std::mt19937_64 fallback{std::random_device{}()};
        uint64_t v = fallback();
        std::memcpy(key, &v, sizeof key);
    }
    uint8_t x = 0;
    for (uint8_t b : key)
        x ^= b;
    if (x == 0)
        key[0] ^= 1; // the handshake treats an all-cancelling key as absent (upstream sets
                     // the bit, which leaves the xor 0 when it was set already)
    push_bytes(L, key, sizeof key);
    return 1;
}

// --- DES-ECB with iso7816-4 (0x80 00..) or PKCS#7 padding ---

enum class Padding : int { iso7816_4 = 0, pkcs7 = 1 };
constexpr int padding_modes = 2;
constexpr size_t des_block = 8;

// The mode argument is read into an int first, as upstream reads it.
Padding check_padding(lua_State *L, int arg) {
    int mode = static_cast<int>(luaL_optinteger(L, arg, 0));
    if (mode < 0 || mode >= padding_modes)
        luaL_error(L, "Invalid padding mode %d", mode);
    return static_cast<Padding>(mode);
}

// Fills block[used..8) with the padding.
void add_padding(uint8_t *block, size_t used, Padding mode) {
    if (mode == Padding::pkcs7) {
        std::memset(block + used, static_cast<int>(des_block - used), des_block - used);
        return;
    }
    block[used] = 0x80;
    std::memset(block + used + 1, 0, des_block - used - 1);
}

// The padding length at the end of the last block, or 0 when it is malformed.
size_t padding_length(const uint8_t *block, Padding mode) {
    if (mode == Padding::pkcs7) {
        uint8_t n = block[des_block - 1];
        if (n == 0 || n > des_block)
            return 0;
        for (size_t i = des_block - n; i < des_block; ++i)
            if (block[i] != n)
                return 0;
        return n;
    }
    for (size_t n = 1; n <= des_block; ++n) {
        uint8_t b = block[des_block - n];
        if (b == 0x80)
            return n;
        if (b != 0)
            return 0;
    }
    return 0;
}

void des_schedule(lua_State *L, DES_key_schedule *ks) {
    std::string_view key = check_bytes(L, 1);
    if (key.size() != 8)
        luaL_error(L, "Invalid key size %d, need 8 bytes", static_cast<int>(key.size()));
    DES_cblock k;
    std::memcpy(k, key.data(), sizeof k);
    DES_set_key_unchecked(&k, ks); // upstream ignores the parity bits too
}

// DES_encrypt1 on each block, loaded as DES_ecb_encrypt loads it (two
// little-endian words), without that wrapper's per-block call and byte loops.
void des_blocks(const uint8_t *in, uint8_t *out, size_t n, DES_key_schedule *ks, int direction) {
    for (size_t i = 0; i < n; i += des_block) {
        DES_LONG block[2] = {load_le32(in + i), load_le32(in + i + 4)};
        DES_encrypt1(block, ks, direction);
        store_le32(out + i, static_cast<uint32_t>(block[0]));
        store_le32(out + i + 4, static_cast<uint32_t>(block[1]));
    }
}

int ldesencode(lua_State *L) {
    DES_key_schedule ks;
    des_schedule(L, &ks);
    std::string_view text = check_bytes(L, 2);
    Padding mode = check_padding(L, 3);
    size_t whole = text.size() & ~(des_block - 1);
    size_t total = whole + des_block;
    Scratch out(L, total);
    des_blocks(bytes_of(text), out.data(), whole, &ks, DES_ENCRYPT);
    uint8_t last[des_block];
    size_t tail = text.size() - whole;
    std::memcpy(last, text.data() + whole, tail);
    add_padding(last, tail, mode);
    des_blocks(last, out.data() + whole, des_block, &ks, DES_ENCRYPT);
    push_bytes(L, out.chars(), total);
    return 1;
}

int ldesdecode(lua_State *L) {
    DES_key_schedule ks;
    des_schedule(L, &ks);
    std::string_view text = check_bytes(L, 2);
    if (text.empty() || text.size() % des_block != 0)
        return luaL_error(L, "Invalid des crypt text length %d", static_cast<int>(text.size()));
    Padding mode = check_padding(L, 3);
    Scratch out(L, text.size());
    des_blocks(bytes_of(text), out.data(), text.size(), &ks, DES_DECRYPT);
    size_t pad = padding_length(out.data() + text.size() - des_block, mode);
    if (pad == 0)
        return luaL_error(L, "Invalid des crypt text");
    push_bytes(L, out.chars(), text.size() - pad);
    return 1;
}

// --- hex ---

int lhexencode(lua_State *L) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string_view text = check_bytes(L, 1);
    Scratch out(L, text.size() * 2);
    uint8_t *p = out.data();
    for (unsigned char c : text) {
        *p++ = digits[c >> 4];
        *p++ = digits[c & 0xf];
    }
    push_bytes(L, out.chars(), text.size() * 2);
    return 1;
}

// A digit's value, or -1. Upstream reads every non-decimal character as
// c - 'a' + 10 and accepts results from 0 to 16, so 'W'..'`' stand for 0..9
// and 'g' for 16 (which spills into the next nibble), while 'A'..'F' are
// rejected. Clients may depend on it; the vectors pin it down.
int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' - 10 && c <= 'a' + 6)
        return c - 'a' + 10;
    return -1;
}

int lhexdecode(lua_State *L) {
    std::string_view text = check_bytes(L, 1);
    if (text.size() % 2 != 0)
        return luaL_error(L, "Invalid hex text size %d", static_cast<int>(text.size()));
    Scratch out(L, text.size() / 2);
    for (size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0)
            return luaL_error(L, "Invalid hex text");
        out.data()[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
    }
    push_bytes(L, out.chars(), text.size() / 2);
    return 1;
}

// --- base64 ---

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int lbase64encode(lua_State *L) {
    std::string_view text = check_bytes(L, 1);
    const uint8_t *in = bytes_of(text);
    size_t n = text.size();
    size_t total = (n + 2) / 3 * 4;
    Scratch out(L, total);
    uint8_t *p = out.data();
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = uint32_t(in[i]) << 16 | uint32_t(in[i + 1]) << 8 | in[i + 2];
        for (int s = 18; s >= 0; s -= 6)
            *p++ = b64_alphabet[(v >> s) & 0x3f];
    }
    if (n - i == 1) {
        *p++ = b64_alphabet[in[i] >> 2];
        *p++ = b64_alphabet[(in[i] & 3) << 4];
        *p++ = '=';
        *p++ = '=';
    } else if (n - i == 2) {
        uint32_t v = uint32_t(in[i]) << 8 | in[i + 1];
        *p++ = b64_alphabet[v >> 10];
        *p++ = b64_alphabet[(v >> 4) & 0x3f];
        *p++ = b64_alphabet[(v & 0xf) << 2];
        *p++ = '=';
    }
    push_bytes(L, out.chars(), total);
    return 1;
}

constexpr int b64_skip = -1; // not base64: ignored
constexpr int b64_pad = -2;  // '=', also assumed past the end of the text

struct B64Table {
    std::array<int8_t, 256> value;
    B64Table() {
        value.fill(b64_skip);
        for (int i = 0; i < 64; ++i)
            value[static_cast<uint8_t>(b64_alphabet[i])] = static_cast<int8_t>(i);
        value['='] = b64_pad;
    }
};

// Decodes groups of four significant symbols; the last group may lack its
// '=' signs. Output is at most 3/4 of the input (rounded up to a group).
int lbase64decode(lua_State *L) {
    static const B64Table table;
    std::string_view text = check_bytes(L, 1);
    size_t n = text.size();
    Scratch out(L, (n + 3) / 4 * 3);
    uint8_t *p = out.data();
    size_t i = 0;
    while (i < n) {
        int c[4];
        int pads = 0;
        for (int j = 0; j < 4;) {
            int v = i < n ? table.value[static_cast<uint8_t>(text[i])] : b64_pad;
            ++i;
            if (v == b64_skip)
                continue;
            pads += v == b64_pad;
            c[j++] = v;
        }
        if (pads == 0) {
            uint32_t v = uint32_t(c[0]) << 18 | uint32_t(c[1]) << 12 | uint32_t(c[2]) << 6 | c[3];
            *p++ = static_cast<uint8_t>(v >> 16);
            *p++ = static_cast<uint8_t>(v >> 8);
            *p++ = static_cast<uint8_t>(v);
        } else if (pads == 1 && c[3] == b64_pad && (c[2] & 3) == 0) {
            uint32_t v = uint32_t(c[0]) << 10 | uint32_t(c[1]) << 4 | uint32_t(c[2]) >> 2;
            *p++ = static_cast<uint8_t>(v >> 8);
            *p++ = static_cast<uint8_t>(v);
        } else if (pads == 2 && c[3] == b64_pad && c[2] == b64_pad && (c[1] & 0xf) == 0) {
            *p++ = static_cast<uint8_t>(uint32_t(c[0]) << 2 | uint32_t(c[1]) >> 4);
        } else {
            return luaL_error(L, "Invalid base64 text");
        }
    }
    push_bytes(L, out.chars(), static_cast<size_t>(p - out.data()));
    return 1;
}

// --- SHA-1 ---

int lsha1(lua_State *L) {
    std::string_view text = check_bytes(L, 1);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1(bytes_of(text), text.size(), digest);
    push_bytes(L, digest, sizeof digest);
    return 1;
}

int lhmac_sha1(lua_State *L) {
    std::string_view key = check_bytes(L, 1);
    std::string_view text = check_bytes(L, 2);
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), bytes_of(text), text.size(),
             digest, &len) == nullptr)
        return luaL_error(L, "hmac_sha1 failed");
    push_bytes(L, digest, len);
    return 1;
}

// --- xor_str ---

int lxor_str(lua_State *L) {
    std::string_view a = check_bytes(L, 1);
    std::string_view b = check_bytes(L, 2);
    if (b.empty())
        return luaL_error(L, "Can't xor empty string");
    Scratch out(L, a.size());
    for (size_t i = 0, k = 0; i < a.size(); ++i, k = k + 1 == b.size() ? 0 : k + 1)
        out.data()[i] = static_cast<uint8_t>(a[i] ^ b[k]);
    push_bytes(L, out.chars(), a.size());
    return 1;
}

void push_padding_modes(lua_State *L) {
    lua_createtable(L, 0, padding_modes);
    lua_pushinteger(L, static_cast<lua_Integer>(Padding::iso7816_4));
    lua_setfield(L, -2, "iso7816_4");
    lua_pushinteger(L, static_cast<lua_Integer>(Padding::pkcs7));
    lua_setfield(L, -2, "pkcs7");
}

} // namespace

extern "C" int luaopen_skynet_crypt(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"hashkey", lhashkey},
        {"randomkey", lrandomkey},
        {"desencode", ldesencode},
        {"desdecode", ldesdecode},
        {"hexencode", lhexencode},
        {"hexdecode", lhexdecode},
        {"hmac64", lhmac64},
        {"hmac64_md5", lhmac64_md5},
        {"dhexchange", ldhexchange},
        {"dhsecret", ldhsecret},
        {"base64encode", lbase64encode},
        {"base64decode", lbase64decode},
        {"sha1", lsha1},
        {"hmac_sha1", lhmac_sha1},
        {"hmac_hash", lhmac_hash},
        {"xor_str", lxor_str},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, functions);
    push_padding_modes(L);
    lua_setfield(L, -2, "padding");
    return 1;
}

extern "C" int luaopen_client_crypt(lua_State *L) {
    return luaopen_skynet_crypt(L);
}
