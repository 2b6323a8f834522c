// The bson module's shared pieces: element type codes, the little-endian
// writer and the bounds-checked reader, and the entry points of encode.cpp,
// decode.cpp and values.cpp.
//
// Values that Lua cannot hold natively travel as "tagged strings", as upstream
// does: "\0" followed by the element type and its payload (bson.null is
// "\0\x0a", bson.date(t) is "\0\x09" + 4 bytes of seconds, ...).
#ifndef SKYNET_LUA_BSON_H
#define SKYNET_LUA_BSON_H

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace bson {

enum Type : uint8_t {
    kReal = 1,
    kString = 2,
    kDocument = 3,
    kArray = 4,
    kBinary = 5,
    kUndefined = 6,
    kObjectId = 7,
    kBoolean = 8,
    kDate = 9,
    kNull = 10,
    kRegex = 11,
    kDbPointer = 12,
    kJsCode = 13,
    kSymbol = 14,
    kCodeWithScope = 15,
    kInt32 = 16,
    kTimestamp = 17,
    kInt64 = 18,
    kMaxKey = 127,
    kMinKey = 255,
};

// Nesting bound for both directions: a self-referencing table must not loop
// while encoding, and a hostile document must not exhaust the C stack.
constexpr int kMaxDepth = 128;

// The metatable name of encoded documents (full userdata holding the bytes).
constexpr const char *kDocumentMeta = "bson";

// Integers a double holds exactly; integral numbers inside this range encode
// as int32/int64, everything else as a double (see docs/mongo.md).
constexpr double kExactIntLimit = 9007199254740992.0; // 2^53

class Writer {
  public:
    Writer() { bytes_.reserve(256); }

    size_t size() const { return bytes_.size(); }
    const uint8_t *data() const { return bytes_.data(); }

    void byte(uint8_t v) { bytes_.push_back(v); }
    void raw(const void *p, size_t n) {
        auto *b = static_cast<const uint8_t *>(p);
        bytes_.insert(bytes_.end(), b, b + n);
    }
    void int32(int32_t v) { little_endian(static_cast<uint32_t>(v), 4); }
    void int64(int64_t v) { little_endian(static_cast<uint64_t>(v), 8); }
    void real(double d) {
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        little_endian(bits, 8);
    }
    // Reserves a 4-byte length and returns where it goes.
    size_t reserve_length() {
        size_t at = bytes_.size();
        bytes_.resize(at + 4);
        return at;
    }
    void patch_int32(size_t at, int32_t v) {
        auto u = static_cast<uint32_t>(v);
        for (int i = 0; i < 4; ++i)
            bytes_[at + i] = static_cast<uint8_t>(u >> (8 * i));
    }
    // A document or array ends with 0 and its length counts itself.
    void close_document(size_t at) {
        byte(0);
        patch_int32(at, static_cast<int32_t>(bytes_.size() - at));
    }

  private:
    void little_endian(uint64_t v, int n) {
        for (int i = 0; i < n; ++i)
            bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }

    std::vector<uint8_t> bytes_;
};

inline uint32_t load_u32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

inline uint64_t load_u64(const uint8_t *p) {
    return load_u32(p) | uint64_t(load_u32(p + 4)) << 32;
}

inline void store_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Every read checks the bytes left and raises upstream's error otherwise.
class Reader {
  public:
    Reader(lua_State *L, const uint8_t *p, size_t n) : L_(L), p_(p), left_(n) {}

    size_t left() const { return left_; }
    const uint8_t *position() const { return p_; }

    const uint8_t *bytes(size_t n) {
        need(n);
        const uint8_t *r = p_;
        p_ += n;
        left_ -= n;
        return r;
    }
    uint8_t byte() { return *bytes(1); }
    int32_t int32() { return static_cast<int32_t>(load_u32(bytes(4))); }
    int64_t int64() { return static_cast<int64_t>(load_u64(bytes(8))); }
    double real() {
        uint64_t bits = load_u64(bytes(8));
        double d;
        std::memcpy(&d, &bits, 8);
        return d;
    }
    // A length read from the stream; a negative one is as bad as a short one.
    size_t length(int32_t n) {
        if (n < 0)
            luaL_error(L_, "Invalid bson block (%d:%d)", static_cast<int>(left_), n);
        return static_cast<size_t>(n);
    }
    std::string_view cstring() {
        auto *end = static_cast<const uint8_t *>(std::memchr(p_, 0, left_));
        if (end == nullptr)
            luaL_error(L_, "Invalid bson block : cstring");
        std::string_view s(reinterpret_cast<const char *>(p_), static_cast<size_t>(end - p_));
        bytes(s.size() + 1);
        return s;
    }

  private:
    void need(size_t n) {
        if (left_ < n)
            luaL_error(L_, "Invalid bson block (%d:%d)", static_cast<int>(left_),
                       static_cast<int>(n));
    }

    lua_State *L_;
    const uint8_t *p_;
    size_t left_;
};

// encode.cpp: the table at the top of L's stack (honouring __pairs), and the
// ordered key/value pairs at stack slots 1..n.
void encode_table(lua_State *L, Writer &w);
void encode_pairs(lua_State *L, Writer &w, int n);

// decode.cpp: pushes the document at p (its own length prefix says how long,
// which must fit in size) as a table.
void decode_document(lua_State *L, const uint8_t *p, size_t size);

// values.cpp: bson.date/timestamp/regex/binary/objectid/int64 and bson.type.
void register_values(lua_State *L);
void push_tagged(lua_State *L, uint8_t type, const void *payload, size_t n);
// The int64 held by a tagged int64 string, or false when v is not one.
bool tagged_int64(lua_State *L, int index, int64_t *v);

// True when n is integral with |n| < 2^53 (and not -0.0): such numbers
// encode as integers.
bool exact_integer(lua_Number n);

// document.cpp: pushes a new "bson" userdata holding the writer's bytes.
void push_document(lua_State *L, const Writer &w);

} // namespace bson

#endif
