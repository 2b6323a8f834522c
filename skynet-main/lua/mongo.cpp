// skynet.mongo.driver: the OP_MSG framing under skynet.db.mongo.
//   op_msg(request_id, flags, bson)  -> the request bytes (one body section)
//   length(4 bytes)                  -> bytes of the message still to read
//   reply(message)                   -> ok, response_to, document (light
//                                       userdata into message; keep it alive)
#include "modules.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace {

constexpr int32_t kOpMsg = 2013;
constexpr uint32_t kChecksumPresent = 1u << 0;
constexpr uint32_t kMoreToCome = 1u << 1;

// After the 4-byte length: requestID, responseTo, opCode, flagBits.
constexpr size_t kHeaderAfterLength = 16;
// Servers cap messages at 48 MB (maxMessageSizeBytes); leave room above it.
constexpr int64_t kMaxMessage = 64 << 20;

uint32_t load_u32(const char *p) {
    auto *b = reinterpret_cast<const uint8_t *>(p);
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

void append_u32(std::string &s, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        s.push_back(static_cast<char>(v >> (8 * i)));
}

int lreply(lua_State *L) {
    size_t n;
    const char *msg = luaL_checklstring(L, 1, &n);
    if (n < kHeaderAfterLength) {
        lua_pushboolean(L, 0);
        return 1;
    }
    auto opcode = static_cast<int32_t>(load_u32(msg + 8));
    if (opcode != kOpMsg)
        return luaL_error(L, "Unsupported opcode:%d", opcode);
    uint32_t flags = load_u32(msg + 12);
    if (flags & kChecksumPresent)
        return luaL_error(L, "Unsupported OP_MSG flag checksumPresent");
    if (flags != 0 && flags != kMoreToCome)
        return luaL_error(L, "Unsupported OP_MSG flag:%d", static_cast<int>(flags));
    size_t body = n - kHeaderAfterLength;
    const char *section = msg + kHeaderAfterLength;
    if (body < 1 + 5)
        return luaL_error(L, "Invalid OP_MSG reply: %d bytes", static_cast<int>(n));
    if (section[0] != 0)
        return luaL_error(L, "Unsupported OP_MSG payload type: %d", section[0]);
    if (load_u32(section + 1) != body - 1)
        return luaL_error(L, "Unsupported OP_MSG reply: >1 section");
    lua_pushboolean(L, 1);
    lua_pushnumber(L, static_cast<int32_t>(load_u32(msg + 4)));
    lua_pushlightuserdata(L, const_cast<char *>(section + 1));
    return 3;
}

int llength(lua_State *L) {
    size_t n;
    const char *raw = luaL_checklstring(L, 1, &n);
    if (n < 4)
        return luaL_error(L, "Invalid mongo message length");
    auto total = static_cast<int64_t>(static_cast<int32_t>(load_u32(raw)));
    if (total < 4 + static_cast<int64_t>(kHeaderAfterLength) || total > kMaxMessage)
        return luaL_error(L, "Invalid mongo message length %d", static_cast<int>(total));
    lua_pushnumber(L, static_cast<lua_Number>(total - 4));
    return 1;
}

int lop_msg(lua_State *L) {
    auto id = static_cast<uint32_t>(static_cast<int64_t>(luaL_checknumber(L, 1)));
    auto flags = static_cast<uint32_t>(static_cast<int64_t>(luaL_checknumber(L, 2)));
    auto *doc = static_cast<const char *>(lua_touserdata(L, 3));
    if (doc == nullptr)
        return luaL_error(L, "opmsg require cmd document");
    uint32_t doc_size = load_u32(doc);
    if (lua_type(L, 3) == LUA_TUSERDATA && doc_size > lua_objlen(L, 3))
        return luaL_error(L, "Invalid bson document (length %d)", static_cast<int>(doc_size));
    std::string header;
    append_u32(header, static_cast<uint32_t>(4 + kHeaderAfterLength + 1 + doc_size));
    append_u32(header, id);
    append_u32(header, 0); // responseTo
    append_u32(header, kOpMsg);
    append_u32(header, flags);
    header.push_back(0); // section kind 0: the body document follows
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, header.data(), header.size());
    luaL_addlstring(&b, doc, doc_size);
    luaL_pushresult(&b);
    return 1;
}

} // namespace

extern "C" int luaopen_skynet_mongo_driver(lua_State *L) {
    const luaL_Reg functions[] = {
        {"reply", lreply},
        {"length", llength},
        {"op_msg", lop_msg},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_setfuncs(L, functions, 0);
    return 1;
}
