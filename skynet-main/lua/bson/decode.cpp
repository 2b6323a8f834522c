// bson bytes to Lua tables. Every length read from the input is checked
// against what is left, and nesting is bounded, so hostile bytes raise a Lua
// error and nothing else.
#include "bson.h"

#include <string>

namespace bson {

namespace {

void decode_into(lua_State *L, Reader &outer, bool array, int depth);

// Ints a double holds exactly become numbers; wider ones stay tagged int64
// strings, so they re-encode bit for bit (cursor ids, for one).
void push_int64(lua_State *L, int64_t v) {
    auto d = static_cast<double>(v);
    if (d > -kExactIntLimit && d < kExactIntLimit) {
        lua_pushnumber(L, d);
        return;
    }
    uint8_t bytes[8];
    store_u32(bytes, static_cast<uint32_t>(v));
    store_u32(bytes + 4, static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
    push_tagged(L, kInt64, bytes, 8);
}

// The raw value bytes from start to the reader's position, tagged with type.
void push_span(lua_State *L, uint8_t type, const uint8_t *start, const Reader &r) {
    push_tagged(L, type, start, static_cast<size_t>(r.position() - start));
}

void push_value(lua_State *L, Reader &r, uint8_t type, int depth) {
    switch (type) {
    case kReal:
        lua_pushnumber(L, r.real());
        break;
    case kBoolean:
        lua_pushboolean(L, r.byte());
        break;
    case kString: {
        int32_t n = r.int32();
        if (n <= 0)
            luaL_error(L, "Invalid bson string , length = %d", n);
        lua_pushlstring(L, reinterpret_cast<const char *>(r.bytes(static_cast<size_t>(n))),
                        static_cast<size_t>(n) - 1);
        break;
    }
    case kDocument:
    case kArray:
        decode_into(L, r, type == kArray, depth + 1);
        break;
    case kBinary: { // tagged as subtype + data, which is what encode takes back
        size_t n = r.length(r.int32());
        const uint8_t *start = r.bytes(1);
        r.bytes(n);
        push_span(L, kBinary, start, r);
        break;
    }
    case kObjectId:
        push_tagged(L, kObjectId, r.bytes(12), 12);
        break;
    case kDate: { // tagged as 32-bit seconds, as upstream
        auto seconds = static_cast<uint32_t>(r.int64() / 1000);
        uint8_t bytes[4];
        store_u32(bytes, seconds);
        push_tagged(L, kDate, bytes, 4);
        break;
    }
    case kMinKey:
    case kMaxKey:
    case kNull:
        push_tagged(L, type, nullptr, 0);
        break;
    case kRegex: {
        std::string_view pattern = r.cstring();
        std::string_view options = r.cstring();
        std::string body;
        body.append(pattern).push_back('\0');
        body.append(options).push_back('\0');
        push_tagged(L, kRegex, body.data(), body.size());
        break;
    }
    case kInt32:
        lua_pushnumber(L, r.int32());
        break;
    case kTimestamp:
        push_tagged(L, kTimestamp, r.bytes(8), 8);
        break;
    case kInt64:
        push_int64(L, r.int64());
        break;
    case kDbPointer: {
        const uint8_t *start = r.position();
        r.bytes(r.length(r.int32()) + 12);
        push_span(L, type, start, r);
        break;
    }
    case kJsCode:
    case kSymbol: {
        const uint8_t *start = r.position();
        r.bytes(r.length(r.int32()));
        push_span(L, type, start, r);
        break;
    }
    case kCodeWithScope: {
        const uint8_t *start = r.position();
        int32_t n = r.int32();
        r.bytes(r.length(n - 4));
        push_span(L, type, start, r);
        break;
    }
    default:
        luaL_error(L, "Invalid bson type : %d", type);
    }
}

// Array keys are "0", "1", ...: element key+1, read as strtol would.
double array_index(std::string_view key) {
    double n = 0;
    size_t i = 0;
    bool negative = !key.empty() && key[0] == '-';
    for (i = negative ? 1 : 0; i < key.size() && key[i] >= '0' && key[i] <= '9'; ++i)
        n = n * 10 + (key[i] - '0');
    return (negative ? -n : n) + 1;
}

// Reads one length-prefixed document from outer and pushes it as a table.
void decode_into(lua_State *L, Reader &outer, bool array, int depth) {
    if (depth > kMaxDepth)
        luaL_error(L, "Too depth while decoding bson");
    luaL_checkstack(L, 16, nullptr);
    int32_t size = outer.int32();
    if (size < 5)
        luaL_error(L, "Invalid bson block (%d:%d)", static_cast<int>(outer.left()), size);
    Reader r(L, outer.bytes(static_cast<size_t>(size) - 5), static_cast<size_t>(size) - 5);
    if (outer.byte() != 0)
        luaL_error(L, "Invalid document end");
    lua_newtable(L);
    while (r.left() > 0) {
        uint8_t type = r.byte();
        std::string_view key = r.cstring();
        if (array)
            lua_pushnumber(L, array_index(key));
        else
            lua_pushlstring(L, key.data(), key.size());
        push_value(L, r, type, depth);
        lua_rawset(L, -3);
    }
}

} // namespace

void decode_document(lua_State *L, const uint8_t *p, size_t size) {
    Reader r(L, p, size);
    decode_into(L, r, false, 0);
}

} // namespace bson
