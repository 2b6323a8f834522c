// sproto.core: upstream's C API for lualib/sproto.lua. Schemas and types are
// light userdata, as upstream's are: sproto.lua owns a schema through
// deleteproto in __gc, and schemas saved in the 16 global slots live as long
// as the process (shared by every service, like upstream's).
#include "lua/modules.h"

#include "codec.h"
#include "pack.h"
#include "parser.h"
#include "schema.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <new>
#include <span>
#include <vector>

namespace {

using sproto::Schema;
using sproto::Type;

constexpr const char *kScratchMeta = "sproto.core.scratch";
constexpr int global_slots = 16;

std::array<std::atomic<Schema *>, global_slots> saved{};

// Output space shared by the calls of one Lua state. A call that re-enters
// (an encode from a __index or __pairs met during an encode) gets its own.
struct Scratch {
    std::vector<uint8_t> bytes;
    bool busy = false;
};

int scratch_gc(lua_State *L) {
    static_cast<Scratch *>(luaL_checkudata(L, 1, kScratchMeta))->~Scratch();
    return 0;
}

Scratch *new_scratch(lua_State *L) {
    auto *s = new (lua_newuserdata(L, sizeof(Scratch))) Scratch();
    if (luaL_newmetatable(L, kScratchMeta)) {
        lua_pushcfunction(L, scratch_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return s;
}

// Marks the shared scratch busy for the lifetime of the call.
class ScratchUse {
  public:
    explicit ScratchUse(lua_State *L) {
        auto *shared = static_cast<Scratch *>(lua_touserdata(L, lua_upvalueindex(1)));
        s_ = shared->busy ? new_scratch(L) : shared; // the extra one is collected later
        s_->busy = true;
        s_->bytes.clear();
    }
    ~ScratchUse() { release(); }
    ScratchUse(const ScratchUse &) = delete;
    ScratchUse &operator=(const ScratchUse &) = delete;

    std::vector<uint8_t> &bytes() { return s_->bytes; }

    // Also for the error paths, which leave by longjmp past the destructor.
    void release() {
        s_->busy = false;
        if (s_->bytes.capacity() > (1u << 20))
            std::vector<uint8_t>().swap(s_->bytes);
    }

  private:
    Scratch *s_;
};

Schema *check_schema(lua_State *L, const char *msg = "Need a sproto object") {
    auto *s = static_cast<Schema *>(lua_touserdata(L, 1));
    if (!s)
        luaL_argerror(L, 1, msg);
    return s;
}

const Type *to_type(lua_State *L, int index) {
    return static_cast<const Type *>(lua_touserdata(L, index));
}

void push_type(lua_State *L, const Type *t) {
    lua_pushlightuserdata(L, const_cast<Type *>(t));
}

void push_bytes(lua_State *L, const std::vector<uint8_t> &b) {
    lua_pushlstring(L, reinterpret_cast<const char *>(b.data()), b.size());
}

// A string, or a (userdata, size) pair, as upstream's getbuffer.
std::span<const uint8_t> check_buffer(lua_State *L, int index) {
    int t = lua_type(L, index);
    if (t == LUA_TSTRING) {
        size_t n = 0;
        const char *s = lua_tolstring(L, index, &n);
        return {reinterpret_cast<const uint8_t *>(s), n};
    }
    if (t != LUA_TUSERDATA && t != LUA_TLIGHTUSERDATA)
        luaL_argerror(L, index, "Need a string or userdata");
    auto *p = static_cast<const uint8_t *>(lua_touserdata(L, index));
    lua_Integer n = luaL_checkinteger(L, index + 1);
    if (n < 0 || (n > 0 && !p))
        luaL_argerror(L, index + 1, "Invalid buffer size");
    return {p, static_cast<size_t>(n)};
}

int lnewproto(lua_State *L) {
    size_t n = 0;
    const char *bin = luaL_checklstring(L, 1, &n);
    auto s = Schema::load({reinterpret_cast<const uint8_t *>(bin), n});
    if (!s)
        return 0;
    lua_pushlightuserdata(L, s.release()); // owned by the caller's deleteproto
    return 1;
}

int ldeleteproto(lua_State *L) {
    std::unique_ptr<Schema> s(check_schema(L));
    return 0;
}

int ldumpproto(lua_State *L) {
    std::string text = check_schema(L, "Need a sproto_type object")->dump();
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return 0;
}

int lquerytype(lua_State *L) {
    Schema *s = check_schema(L);
    const Type *t = s->type(luaL_checkstring(L, 2));
    if (!t)
        return 0;
    push_type(L, t);
    return 1;
}

int lencode(lua_State *L) {
    const Type *t = to_type(L, 1);
    if (!t) {
        luaL_checktype(L, 2, LUA_TNIL); // "response nil" carries nothing
        lua_pushliteral(L, "");
        return 1;
    }
    lua_settop(L, 2);
    ScratchUse scratch(L);
    sproto::encode(L, *t, 2, scratch.bytes());
    push_bytes(L, scratch.bytes());
    return 1;
}

int ldecode(lua_State *L) {
    const Type *t = to_type(L, 1);
    if (!t)
        return 0;
    auto bytes = check_buffer(L, 2);
    if (!lua_istable(L, -1))
        lua_createtable(L, 0, static_cast<int>(t->fields.size()));
    int result = lua_gettop(L);
    long n = sproto::decode(L, *t, bytes, result);
    if (n < 0)
        return luaL_error(L, "decode error");
    lua_settop(L, result);
    lua_pushinteger(L, n);
    return 2;
}

int lpack(lua_State *L) {
    auto src = check_buffer(L, 1);
    ScratchUse scratch(L);
    sproto::pack(src, scratch.bytes());
    push_bytes(L, scratch.bytes());
    return 1;
}

int lunpack(lua_State *L) {
    auto src = check_buffer(L, 1);
    ScratchUse scratch(L);
    if (!sproto::unpack(src, scratch.bytes())) {
        scratch.release();
        return luaL_error(L, "Invalid unpack stream");
    }
    push_bytes(L, scratch.bytes());
    return 1;
}

int lprotocol(lua_State *L) {
    Schema *s = check_schema(L, "Need a sproto_type object");
    const sproto::Protocol *p;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        p = s->protocol(static_cast<int>(lua_tointeger(L, 2)));
        if (!p)
            return 0;
        lua_pushstring(L, p->name.c_str());
    } else {
        const char *name = lua_tostring(L, 2);
        if (!name)
            return luaL_argerror(L, 2, "Should be number or string");
        p = s->protocol(name);
        if (!p)
            return 0;
        lua_pushinteger(L, p->tag);
    }
    if (p->request)
        push_type(L, p->request);
    else
        lua_pushnil(L);
    if (p->response)
        push_type(L, p->response);
    else if (p->confirm)
        lua_pushlightuserdata(L, nullptr); // a reply without content
    else
        lua_pushnil(L);
    return 3;
}

int check_slot(lua_State *L, int index) {
    lua_Integer slot = luaL_optinteger(L, index, 0);
    if (slot < 0 || slot >= global_slots)
        luaL_error(L, "Invalid global slot index %d", static_cast<int>(slot));
    return static_cast<int>(slot);
}

// The previous schema of the slot is not freed: another service may still
// use it (upstream leaks it too).
int lsaveproto(lua_State *L) {
    auto *s = static_cast<Schema *>(lua_touserdata(L, 1));
    saved[check_slot(L, 2)].store(s);
    return 0;
}

int lloadproto(lua_State *L) {
    int slot = check_slot(L, 1);
    Schema *s = saved[slot].load();
    if (!s)
        return luaL_error(L, "nil sproto at index %d", slot);
    lua_pushlightuserdata(L, s);
    return 1;
}

int ldefault(lua_State *L) {
    const Type *t = to_type(L, 1);
    if (!t)
        return luaL_argerror(L, 1, "Need a sproto_type object");
    sproto::push_default(L, *t);
    return 1;
}

void set_with_scratch(lua_State *L, const char *name, lua_CFunction f) {
    new_scratch(L);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

int lparse(lua_State *L) {
    size_t n = 0;
    const char *text = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, "=text");
    auto result = sproto::parse({text, n}, name);
    if (!result.error.empty())
        return luaL_error(L, "%s", result.error.c_str());
    lua_pushlstring(L, result.binary.data(), result.binary.size());
    return 1;
}

} // namespace

extern "C" int luaopen_sproto_core(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"newproto", lnewproto},   {"deleteproto", ldeleteproto}, {"dumpproto", ldumpproto},
        {"querytype", lquerytype}, {"decode", ldecode},           {"protocol", lprotocol},
        {"loadproto", lloadproto}, {"saveproto", lsaveproto},     {"default", ldefault},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, functions);
    set_with_scratch(L, "encode", lencode);
    set_with_scratch(L, "pack", lpack);
    set_with_scratch(L, "unpack", lunpack);
    return 1;
}

// The schema text parser behind lualib/sprotoparser.lua: parse(text[, name])
// returns the schema binary upstream's LPeg parser makes for the same text.
extern "C" int luaopen_sproto_parser(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"parse", lparse},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, functions);
    return 1;
}
