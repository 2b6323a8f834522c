// The bson module: encoded documents are full userdata ("bson" metatable)
// holding their bytes; b:decode(), tostring(b), #b, and in-place replacement
// of fixed-size top-level fields after b:makeindex() (b.key = value).
#include "bson.h"

#include "modules.h"

namespace bson {

namespace {

// makeindex keeps, per top-level key, the field's type in the low bits and
// the offset of its value above them, as upstream does.
constexpr int kTypeBits = 5;

// Marks the userdata environment table that makeindex made (every userdata
// has some environment table in LuaJIT).
char index_marker;

// The bytes and size of a document argument: a bson userdata, a string, or a
// light userdata whose own length prefix is trusted (the mongo driver's
// reply, checked there). Null when the argument is none of these.
const uint8_t *document_bytes(lua_State *L, int arg, size_t *size) {
    switch (lua_type(L, arg)) {
    case LUA_TUSERDATA:
        *size = lua_objlen(L, arg);
        return static_cast<const uint8_t *>(lua_touserdata(L, arg));
    case LUA_TSTRING:
        return reinterpret_cast<const uint8_t *>(lua_tolstring(L, arg, size));
    case LUA_TLIGHTUSERDATA: {
        auto *p = static_cast<const uint8_t *>(lua_touserdata(L, arg));
        *size = p != nullptr ? load_u32(p) : 0;
        return p;
    }
    default:
        return nullptr;
    }
}

int ldecode(lua_State *L) {
    size_t size = 0;
    const uint8_t *p = document_bytes(L, 1, &size);
    if (p == nullptr)
        return 0;
    decode_document(L, p, size);
    return 1;
}

int lencode(lua_State *L) {
    lua_settop(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    Writer w;
    encode_table(L, w);
    push_document(L, w);
    return 1;
}

int lencode_order(lua_State *L) {
    int n = lua_gettop(L);
    if (n % 2 != 0)
        return luaL_error(L, "Invalid ordered dict");
    Writer w;
    encode_pairs(L, w, n);
    push_document(L, w);
    return 1;
}

int ltostring(lua_State *L) {
    lua_pushlstring(L, static_cast<const char *>(lua_touserdata(L, 1)), lua_objlen(L, 1));
    return 1;
}

int llen(lua_State *L) {
    lua_pushnumber(L, static_cast<lua_Number>(lua_objlen(L, 1)));
    return 1;
}

int lto_lightuserdata(lua_State *L) {
    lua_pushlightuserdata(L, lua_touserdata(L, 1));
    return 1;
}

// The size of a fixed-width value makeindex can replace, or 0 after skipping
// any other value.
size_t fixed_size(lua_State *L, Reader &r, uint8_t type) {
    switch (type) {
    case kInt64:
    case kTimestamp:
    case kDate:
    case kReal:
        return 8;
    case kBoolean:
        return 1;
    case kInt32:
        return 4;
    case kObjectId:
        return 12;
    case kJsCode:
    case kSymbol:
    case kString:
        r.bytes(r.length(r.int32()));
        return 0;
    case kCodeWithScope:
    case kArray:
    case kDocument:
        r.bytes(r.length(r.int32() - 4));
        return 0;
    case kBinary:
        r.bytes(r.length(r.int32()) + 1);
        return 0;
    case kMinKey:
    case kMaxKey:
    case kNull:
        return 0;
    case kRegex:
        r.cstring();
        r.cstring();
        return 0;
    case kDbPointer:
        r.bytes(r.length(r.int32()) + 12);
        return 0;
    default:
        return luaL_error(L, "Invalid bson type : %d", type);
    }
}

int lmakeindex(lua_State *L) {
    auto *start = static_cast<const uint8_t *>(luaL_checkudata(L, 1, kDocumentMeta));
    size_t size = lua_objlen(L, 1);
    Reader r(L, start + 4, size - 5);
    lua_newtable(L);
    while (r.left() > 0) {
        uint8_t type = r.byte();
        std::string_view key = r.cstring();
        size_t width = fixed_size(L, r, type);
        if (width == 0)
            continue;
        auto offset = static_cast<lua_Number>(r.position() - start);
        r.bytes(width);
        lua_pushlstring(L, key.data(), key.size());
        lua_pushnumber(L, type + offset * (1 << kTypeBits));
        lua_rawset(L, -3);
    }
    lua_pushlightuserdata(L, &index_marker);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_setfenv(L, 1);
    lua_settop(L, 1);
    return 1;
}

// The tagged value at index 3 for a replacement of type; its payload.
std::string_view replacement(lua_State *L, uint8_t type, size_t payload) {
    size_t n;
    const char *s = luaL_checklstring(L, 3, &n);
    if (n < 6 || s[0] != '\0' || static_cast<uint8_t>(s[1]) != type)
        luaL_error(L, "Type mismatch, need bson type %d", type);
    if (n != 2 + payload)
        luaL_error(L, "Invalid %s",
                   type == kObjectId ? "object id"
                   : type == kDate   ? "date"
                                     : "timestamp");
    return {s + 2, n - 2};
}

// b.key = value after makeindex: overwrites a fixed-size field in place.
int lreplace(lua_State *L) {
    lua_getfenv(L, 1);
    lua_pushlightuserdata(L, &index_marker);
    lua_rawget(L, -2);
    if (!lua_toboolean(L, -1))
        return luaL_error(L, "call makeindex first");
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    if (lua_type(L, -1) != LUA_TNUMBER)
        return luaL_error(L, "Can't replace key : %s", lua_tostring(L, 2));
    auto id = static_cast<uint64_t>(lua_tonumber(L, -1));
    auto type = static_cast<uint8_t>(id & ((1u << kTypeBits) - 1));
    auto *at = static_cast<uint8_t *>(lua_touserdata(L, 1)) + (id >> kTypeBits);
    Writer w;
    switch (type) {
    case kReal:
        w.real(luaL_checknumber(L, 3));
        break;
    case kBoolean:
        w.byte(lua_toboolean(L, 3) ? 1 : 0);
        break;
    case kObjectId:
        w.raw(replacement(L, type, 12).data(), 12);
        break;
    case kDate:
        w.int64(
            int64_t(load_u32(reinterpret_cast<const uint8_t *>(replacement(L, type, 4).data()))) *
            1000);
        break;
    case kTimestamp:
        w.raw(replacement(L, type, 8).data(), 8);
        break;
    case kInt32: {
        lua_Number n = luaL_checknumber(L, 3);
        if (!exact_integer(n))
            return luaL_error(L, "%f must be a 32bit integer ", n);
        w.int32(static_cast<int32_t>(static_cast<int64_t>(n)));
        break;
    }
    case kInt64: {
        int64_t v;
        if (!tagged_int64(L, 3, &v)) {
            lua_Number n = luaL_checknumber(L, 3);
            if (!exact_integer(n))
                return luaL_error(L, "%f must be a 64bit integer ", n);
            v = static_cast<int64_t>(n);
        }
        w.int64(v);
        break;
    }
    default:
        return luaL_error(L, "Can't replace type %d", type);
    }
    std::memcpy(at, w.data(), w.size());
    return 0;
}

void push_document_meta(lua_State *L) {
    if (luaL_newmetatable(L, kDocumentMeta)) {
        const luaL_Reg methods[] = {
            {"decode", ldecode}, {"makeindex", lmakeindex}, {nullptr, nullptr}};
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
        const luaL_Reg meta[] = {{"__tostring", ltostring},
                                 {"__len", llen},
                                 {"__newindex", lreplace},
                                 {nullptr, nullptr}};
        luaL_setfuncs(L, meta, 0);
    }
}

} // namespace

void push_document(lua_State *L, const Writer &w) {
    void *ud = lua_newuserdata(L, w.size());
    std::memcpy(ud, w.data(), w.size());
    push_document_meta(L);
    lua_setmetatable(L, -2);
}

} // namespace bson

extern "C" int luaopen_bson(lua_State *L) {
    const luaL_Reg functions[] = {
        {"encode", bson::lencode}, {"encode_order", bson::lencode_order},
        {"decode", bson::ldecode}, {"to_lightuserdata", bson::lto_lightuserdata},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_setfuncs(L, functions, 0);
    bson::register_values(L);
    return 1;
}
