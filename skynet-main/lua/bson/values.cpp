// The tagged values (bson.date, timestamp, regex, binary, objectid, int64, the
// null/minkey/maxkey constants) and bson.type, which tells them apart.
#include "bson.h"

#include "compat.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <string>

namespace bson {

namespace {

// Objectids made here: 4 bytes of time, 3 of host hash, 2 of pid, 3 of a
// process-wide counter (shared by every service of the node).
struct ObjectIdSource {
    uint8_t header[5];
    std::atomic<uint32_t> counter;

    ObjectIdSource() {
        uint32_t h = 0;
        char host[256] = {};
        if (gethostname(host, sizeof host - 1) == 0) {
            size_t i = 0;
            for (; host[i] != '\0'; ++i)
                h ^= (h << 5) + (h >> 2) + static_cast<uint8_t>(host[i]);
            h ^= static_cast<uint32_t>(i);
        }
        auto pid = static_cast<uint32_t>(getpid());
        const uint8_t bytes[5] = {uint8_t(h), uint8_t(h >> 8), uint8_t(h >> 16), uint8_t(pid),
                                  uint8_t(pid >> 8)};
        std::memcpy(header, bytes, 5);
        uint32_t seed = h ^ static_cast<uint32_t>(std::time(nullptr)) ^
                        static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this));
        counter.store(seed == 0 ? 1 : seed);
    }

    void make(uint8_t out[12]) {
        auto now = static_cast<uint32_t>(std::time(nullptr));
        uint32_t id = counter.fetch_add(1);
        const uint8_t head[4] = {uint8_t(now >> 24), uint8_t(now >> 16), uint8_t(now >> 8),
                                 uint8_t(now)};
        std::memcpy(out, head, 4);
        std::memcpy(out + 4, header, 5);
        out[9] = uint8_t(id >> 16);
        out[10] = uint8_t(id >> 8);
        out[11] = uint8_t(id);
    }
};

ObjectIdSource &objectid_source() {
    static ObjectIdSource source;
    return source;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 0;
}

// luaL_checkinteger for LuaJIT: the argument must hold an integral value.
int64_t check_int64(lua_State *L, int arg) {
    uint64_t bits = 0;
    if (!number_to_bits(luaL_checknumber(L, arg), &bits))
        luaL_argerror(L, arg, "number has no integer representation");
    return static_cast<int64_t>(bits);
}

void push_u32(lua_State *L, uint8_t type, uint32_t v) {
    uint8_t bytes[4];
    store_u32(bytes, v);
    push_tagged(L, type, bytes, 4);
}

int ldate(lua_State *L) {
    push_u32(L, kDate, static_cast<uint32_t>(check_int64(L, 1)));
    return 1;
}

int ltimestamp(lua_State *L) {
    static std::atomic<uint32_t> next_increment{0};
    auto seconds = static_cast<uint32_t>(check_int64(L, 1));
    uint32_t increment = lua_isnoneornil(L, 2) ? next_increment.fetch_add(1)
                                               : static_cast<uint32_t>(lua_tonumber(L, 2));
    uint8_t bytes[8];
    store_u32(bytes, increment);
    store_u32(bytes + 4, seconds);
    push_tagged(L, kTimestamp, bytes, 8);
    return 1;
}

int lregex(lua_State *L) {
    size_t n;
    const char *pattern = luaL_checklstring(L, 1, &n);
    std::string body(pattern, n);
    body.push_back('\0');
    if (lua_gettop(L) >= 2) {
        size_t m;
        const char *options = luaL_checklstring(L, 2, &m);
        body.append(options, m);
    }
    body.push_back('\0');
    push_tagged(L, kRegex, body.data(), body.size());
    return 1;
}

int lbinary(lua_State *L) {
    size_t n;
    const char *data = luaL_checklstring(L, 1, &n);
    std::string body(1, '\0'); // subtype 0: generic binary
    body.append(data, n);
    push_tagged(L, kBinary, body.data(), body.size());
    return 1;
}

int lobjectid(lua_State *L) {
    uint8_t oid[12];
    if (lua_isstring(L, 1)) {
        size_t n;
        const char *hex = lua_tolstring(L, 1, &n);
        if (n != 24)
            return luaL_error(L, "Invalid objectid %s", hex);
        for (int i = 0; i < 12; ++i)
            oid[i] = static_cast<uint8_t>(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
    } else {
        objectid_source().make(oid);
    }
    push_tagged(L, kObjectId, oid, 12);
    return 1;
}

// bson.int64(n): n is a number, a decimal string (for values past 2^53) or
// an int64 value already.
int lint64(lua_State *L) {
    int64_t v;
    if (tagged_int64(L, 1, &v)) {
        lua_settop(L, 1);
        return 1;
    }
    if (lua_type(L, 1) == LUA_TSTRING) {
        const char *s = lua_tostring(L, 1);
        char *end = nullptr;
        errno = 0;
        long long parsed = std::strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0')
            return luaL_argerror(L, 1, "not a 64-bit integer");
        v = parsed;
    } else {
        v = check_int64(L, 1);
    }
    uint8_t bytes[8];
    store_u32(bytes, static_cast<uint32_t>(v));
    store_u32(bytes + 4, static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
    push_tagged(L, kInt64, bytes, 8);
    return 1;
}

// bson.type of a tagged string: the type's name and its parts.
int type_of_tagged(lua_State *L, uint8_t type, const uint8_t *p, size_t n) {
    switch (type) {
    case kBinary:
        lua_pushliteral(L, "binary");
        lua_pushlstring(L, reinterpret_cast<const char *>(p) + 1, n - 1);
        lua_pushnumber(L, p[0]);
        return 3;
    case kObjectId: {
        if (n != 12)
            return luaL_error(L, "Invalid object id");
        static const char digits[] = "0123456789abcdef";
        char hex[24];
        for (int i = 0; i < 12; ++i) {
            hex[2 * i] = digits[p[i] >> 4];
            hex[2 * i + 1] = digits[p[i] & 0xf];
        }
        lua_pushliteral(L, "objectid");
        lua_pushlstring(L, hex, 24);
        return 2;
    }
    case kDate:
        if (n != 4)
            return luaL_error(L, "Invalid date");
        lua_pushliteral(L, "date");
        lua_pushnumber(L, static_cast<int32_t>(load_u32(p)));
        return 2;
    case kTimestamp:
        if (n != 8)
            return luaL_error(L, "Invalid timestamp");
        lua_pushliteral(L, "timestamp");
        lua_pushnumber(L, load_u32(p + 4));
        lua_pushnumber(L, load_u32(p));
        return 3;
    case kRegex: {
        std::string_view body(reinterpret_cast<const char *>(p), n);
        size_t split = body.empty() ? std::string_view::npos : body.substr(0, n - 1).rfind('\0');
        if (split == std::string_view::npos)
            return luaL_error(L, "Invalid regex");
        lua_pushliteral(L, "regex");
        lua_pushlstring(L, body.data(), split);
        lua_pushlstring(L, body.data() + split + 1, n - 2 - split);
        return 3;
    }
    case kMinKey:
        lua_pushliteral(L, "minkey");
        return 1;
    case kMaxKey:
        lua_pushliteral(L, "maxkey");
        return 1;
    case kNull:
        lua_pushliteral(L, "nil");
        return 1;
    case kJsCode:
    case kDbPointer:
    case kSymbol:
    case kCodeWithScope:
        lua_pushliteral(L, "unsupported");
        lua_pushlstring(L, reinterpret_cast<const char *>(p), n);
        return 2;
    case kInt64:
        if (n != 8)
            return luaL_error(L, "Invalid int64");
        lua_pushliteral(L, "int64");
        lua_pushnumber(L, static_cast<double>(static_cast<int64_t>(load_u64(p))));
        return 2;
    default:
        return luaL_error(L, "Invalid subtype %d", type);
    }
}

int ltype(lua_State *L) {
    switch (int t = lua_type(L, 1)) {
    case LUA_TNUMBER:
    case LUA_TBOOLEAN:
    case LUA_TTABLE:
        lua_pushstring(L, lua_typename(L, t));
        break;
    case LUA_TNIL:
        lua_pushliteral(L, "nil");
        return 1;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, 1, &n);
        if (n >= 2 && s[0] == '\0')
            return type_of_tagged(L, static_cast<uint8_t>(s[1]),
                                  reinterpret_cast<const uint8_t *>(s) + 2, n - 2);
        lua_pushliteral(L, "string");
        break;
    }
    default:
        return luaL_error(L, "Invalid type %s", lua_typename(L, t));
    }
    lua_pushvalue(L, 1);
    return 2;
}

} // namespace

void push_tagged(lua_State *L, uint8_t type, const void *payload, size_t n) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '\0');
    luaL_addchar(&b, static_cast<char>(type));
    if (n > 0)
        luaL_addlstring(&b, static_cast<const char *>(payload), n);
    luaL_pushresult(&b);
}

bool tagged_int64(lua_State *L, int index, int64_t *v) {
    if (lua_type(L, index) != LUA_TSTRING)
        return false;
    size_t n;
    const char *s = lua_tolstring(L, index, &n);
    if (n != 10 || s[0] != '\0' || static_cast<uint8_t>(s[1]) != kInt64)
        return false;
    *v = static_cast<int64_t>(load_u64(reinterpret_cast<const uint8_t *>(s) + 2));
    return true;
}

void register_values(lua_State *L) {
    const luaL_Reg values[] = {
        {"date", ldate},         {"timestamp", ltimestamp}, {"regex", lregex}, {"binary", lbinary},
        {"objectid", lobjectid}, {"int64", lint64},         {"type", ltype},   {nullptr, nullptr},
    };
    luaL_setfuncs(L, values, 0);
    const struct {
        const char *name;
        uint8_t type;
    } constants[] = {{"null", kNull}, {"minkey", kMinKey}, {"maxkey", kMaxKey}};
    for (const auto &c : constants) {
        push_tagged(L, c.type, nullptr, 0);
        lua_setfield(L, -2, c.name);
    }
    objectid_source(); // seed the counter now, not in the first caller's service
}

} // namespace bson
