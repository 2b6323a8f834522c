// skynet.core: the Lua face of the runtime (send, callback, command, ...).
#include "log.h"
#include "modules.h"
#include "seri.h"
#include "server.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

const char *const KRED = "\x1b[31m";
const char *const KNRM = "\x1b[0m";

int64_t hpc_ns() {
    timespec ti;
    clock_gettime(CLOCK_MONOTONIC, &ti);
    return static_cast<int64_t>(ti.tv_sec) * 1000000000 + ti.tv_nsec;
}

skynet_context *upcontext(lua_State *L) {
    return static_cast<skynet_context *>(lua_touserdata(L, lua_upvalueindex(1)));
}

int traceback(lua_State *L) {
    if (const char *msg = lua_tostring(L, 1))
        luaL_traceback(L, L, msg, 1);
    else
        lua_pushliteral(L, "(no error message)");
    return 1;
}

// The thread that runs the Lua callback: [1] traceback, [2] the callback.
struct callback_context {
    lua_State *L;
};

int call_lua(skynet_context *context, void *ud, int type, int session, uint32_t source,
             const void *msg, size_t sz) {
    lua_State *L = static_cast<callback_context *>(ud)->L;
    lua_pushvalue(L, 2);
    lua_pushinteger(L, type);
    lua_pushlightuserdata(L, const_cast<void *>(msg));
    lua_pushinteger(L, static_cast<lua_Integer>(sz));
    lua_pushinteger(L, session);
    lua_pushinteger(L, source);
    int r = lua_pcall(L, 5, 0, 1);
    if (r == 0)
        return 0;
    const char *self = skynet_command(context, "REG", nullptr);
    switch (r) {
    case LUA_ERRRUN:
        skynet_error(context, "lua call [%x to %s : %d msgsz = %d] error : %s%s%s", source, self,
                     session, static_cast<int>(sz), KRED, lua_tostring(L, -1), KNRM);
        break;
    case LUA_ERRMEM:
        skynet_error(context, "lua memory error : [%x to %s : %d]", source, self, session);
        break;
    case LUA_ERRERR:
        skynet_error(context, "lua error in error : [%x to %s : %d]", source, self, session);
        break;
    }
    lua_pop(L, 1);
    return 0;
}

int forward_lua(skynet_context *context, void *ud, int type, int session, uint32_t source,
                const void *msg, size_t sz) {
    call_lua(context, ud, type, session, source, msg, sz);
    return 1; // forward mode: the Lua side owns msg
}

// The previous callback context stays referenced until the new callback runs
// once: the old thread may still be on the C stack when the callback changes.
void drop_previous(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, "callback_context");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        lua_setfield(L, -2, "prev");
    }
    lua_pop(L, 1);
}

int call_lua_first(skynet_context *context, void *ud, int type, int session, uint32_t source,
                   const void *msg, size_t sz) {
    drop_previous(static_cast<callback_context *>(ud)->L);
    skynet_callback(context, ud, call_lua);
    return call_lua(context, ud, type, session, source, msg, sz);
}

int forward_lua_first(skynet_context *context, void *ud, int type, int session, uint32_t source,
                      const void *msg, size_t sz) {
    drop_previous(static_cast<callback_context *>(ud)->L);
    skynet_callback(context, ud, forward_lua);
    return forward_lua(context, ud, type, session, source, msg, sz);
}

int lcallback(lua_State *L) {
    skynet_context *context = upcontext(L);
    bool forward = lua_toboolean(L, 2);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_createtable(L, 0, 3); // keeps the userdata, the thread and the previous context alive
    auto *cb = static_cast<callback_context *>(lua_newuserdata(L, sizeof(callback_context)));
    lua_setfield(L, -2, "ud");
    cb->L = lua_newthread(L);
    lua_setfield(L, -2, "thread");
    lua_getfield(L, LUA_REGISTRYINDEX, "callback_context");
    lua_setfield(L, -2, "prev");
    lua_setfield(L, LUA_REGISTRYINDEX, "callback_context");
    lua_pushcfunction(cb->L, traceback);
    lua_xmove(L, cb->L, 1); // the callback function
    skynet_callback(context, cb, forward ? forward_lua_first : call_lua_first);
    return 0;
}

const char *optparam(lua_State *L) {
    return lua_gettop(L) == 2 ? luaL_checkstring(L, 2) : nullptr;
}

int lcommand(lua_State *L) {
    const char *result = skynet_command(upcontext(L), luaL_checkstring(L, 1), optparam(L));
    if (result == nullptr)
        return 0;
    lua_pushstring(L, result);
    return 1;
}

int laddresscommand(lua_State *L) {
    const char *result = skynet_command(upcontext(L), luaL_checkstring(L, 1), optparam(L));
    if (result == nullptr || result[0] != ':')
        return 0;
    char *end = nullptr;
    unsigned long addr = std::strtoul(result + 1, &end, 16);
    if (end == result + 1 || *end != '\0')
        return 0;
    lua_pushinteger(L, static_cast<lua_Integer>(static_cast<uint32_t>(addr)));
    return 1;
}

int lintcommand(lua_State *L) {
    char tmp[64];
    const char *param = nullptr;
    if (lua_gettop(L) == 2) {
        if (lua_type(L, 2) == LUA_TNUMBER) {
            std::snprintf(tmp, sizeof(tmp), "%d", static_cast<int32_t>(lua_tointeger(L, 2)));
            param = tmp;
        } else {
            param = luaL_checkstring(L, 2);
        }
    }
    const char *result = skynet_command(upcontext(L), luaL_checkstring(L, 1), param);
    if (result == nullptr)
        return 0;
    char *end = nullptr;
    long long r = std::strtoll(result, &end, 0);
    if (end != result && *end == '\0') {
        lua_pushnumber(L, static_cast<lua_Number>(r));
        return 1;
    }
    double n = std::strtod(result, &end);
    if (end == result || *end != '\0')
        return luaL_error(L, "Invalid result %s", result);
    lua_pushnumber(L, n);
    return 1;
}

int lgenid(lua_State *L) {
    int session = skynet_send(upcontext(L), 0, 0, PTYPE_TAG_ALLOCSESSION, 0, nullptr, 0);
    lua_pushinteger(L, session);
    return 1;
}

// send/redirect share this: dest at 1, ptype at idx, then session, msg[, sz].
int send_message(lua_State *L, uint32_t source, int idx) {
    skynet_context *context = upcontext(L);
    uint32_t dest = 0;
    const char *dest_string = nullptr;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        dest = static_cast<uint32_t>(lua_tointeger(L, 1));
        if (dest == 0)
            return luaL_error(L, "Invalid service address 0");
    } else if (lua_type(L, 1) == LUA_TSTRING) {
        dest_string = lua_tostring(L, 1);
    } else {
        return luaL_error(L, "dest address type (%s) must be a string or number.",
                          luaL_typename(L, 1));
    }
    int type = static_cast<int>(luaL_checkinteger(L, idx));
    int session = 0;
    if (lua_isnil(L, idx + 1))
        type |= PTYPE_TAG_ALLOCSESSION;
    else
        session = static_cast<int>(luaL_checkinteger(L, idx + 1));

    void *msg = nullptr;
    size_t len = 0;
    switch (lua_type(L, idx + 2)) {
    case LUA_TSTRING:
        msg = const_cast<char *>(lua_tolstring(L, idx + 2, &len));
        if (len == 0)
            msg = nullptr;
        break;
    case LUA_TLIGHTUSERDATA:
        msg = lua_touserdata(L, idx + 2);
        len = static_cast<size_t>(luaL_checkinteger(L, idx + 3));
        type |= PTYPE_TAG_DONTCOPY;
        break;
    default:
        return luaL_error(L, "invalid param %s", luaL_typename(L, idx + 2));
    }
    session = dest_string ? skynet_sendname(context, source, dest_string, type, session, msg, len)
                          : skynet_send(context, source, dest, type, session, msg, len);
    if (session < 0) {
        if (session == -2) { // too large
            lua_pushboolean(L, 0);
            return 1;
        }
        return 0; // unknown destination
    }
    lua_pushinteger(L, session);
    return 1;
}

int lsend(lua_State *L) {
    return send_message(L, 0, 2);
}

int lredirect(lua_State *L) {
    auto source = static_cast<uint32_t>(luaL_checkinteger(L, 2));
    return send_message(L, source, 3);
}

// tostring() as Lua's print does it, honouring __tostring.
const char *to_text(lua_State *L, int idx, size_t *len) {
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
    const char *s = lua_tolstring(L, -1, len);
    if (s == nullptr)
        luaL_error(L, "'tostring' must return a string");
    return s;
}

int lerror(lua_State *L) {
    skynet_context *context = upcontext(L);
    int n = lua_gettop(L);
    if (n == 0) {
        lua_pushnil(L);
        n = 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        size_t len;
        to_text(L, i, &len);
        luaL_addvalue(&b);
        if (i < n)
            luaL_addchar(&b, ' ');
    }
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    skynet_error_string(context, s, len);
    return 0;
}

int ltostring(lua_State *L) {
    if (lua_isnoneornil(L, 1))
        return 0;
    auto *msg = static_cast<const char *>(lua_touserdata(L, 1));
    lua_Integer sz = luaL_checkinteger(L, 2);
    lua_pushlstring(L, msg, static_cast<size_t>(sz));
    return 1;
}

int lharbor(lua_State *L) {
    auto handle = static_cast<uint32_t>(luaL_checkinteger(L, 1));
    int harbor = 0;
    int remote = skynet_isremote(upcontext(L), handle, &harbor);
    lua_pushinteger(L, harbor);
    lua_pushboolean(L, remote);
    return 2;
}

int lpackstring(lua_State *L) {
    luaseri_pack(L);
    auto *str = static_cast<char *>(lua_touserdata(L, -2));
    size_t sz = static_cast<size_t>(lua_tointeger(L, -1));
    lua_pushlstring(L, str, sz);
    skynet_free(str);
    return 1;
}

int ltrash(lua_State *L) {
    switch (lua_type(L, 1)) {
    case LUA_TSTRING:
        break;
    case LUA_TLIGHTUSERDATA:
        luaL_checkinteger(L, 2);
        skynet_free(lua_touserdata(L, 1));
        break;
    default:
        return luaL_error(L, "skynet.trash invalid param %s", luaL_typename(L, 1));
    }
    return 0;
}

int lnow(lua_State *L) {
    lua_pushnumber(L, static_cast<lua_Number>(skynet_now()));
    return 1;
}

int lhpc(lua_State *L) {
    lua_pushnumber(L, static_cast<lua_Number>(hpc_ns()));
    return 1;
}

constexpr int MAX_LEVEL = 3;

int ltrace(lua_State *L) {
    skynet_context *context = upcontext(L);
    const char *tag = luaL_checkstring(L, 1);
    const char *user = luaL_checkstring(L, 2);
    char where[512];
    where[0] = '\0';
    if (!lua_isnoneornil(L, 3)) {
        lua_State *co = L;
        int level;
        if (lua_isthread(L, 3)) {
            co = lua_tothread(L, 3);
            level = static_cast<int>(luaL_optinteger(L, 4, 1));
        } else {
            level = static_cast<int>(luaL_optinteger(L, 3, 1));
        }
        size_t used = 0;
        int found = 0;
        lua_Debug d;
        while (found < MAX_LEVEL && lua_getstack(co, level++, &d)) {
            lua_getinfo(co, "Sl", &d);
            if (d.currentline < 0)
                continue;
            int n = std::snprintf(where + used, sizeof(where) - used, "%s%s:%d",
                                  found == 0 ? " : " : " ", d.source, d.currentline);
            if (n < 0 || static_cast<size_t>(n) >= sizeof(where) - used)
                break;
            used += n;
            ++found;
        }
    }
    skynet_error(context, "<TRACE %s> %" PRId64 " %s%s", tag, hpc_ns(), user, where);
    return 0;
}

} // namespace

int luaopen_skynet_core(lua_State *L) {
    const luaL_Reg with_context[] = {
        {"send", lsend},       {"genid", lgenid},           {"redirect", lredirect},
        {"command", lcommand}, {"intcommand", lintcommand}, {"addresscommand", laddresscommand},
        {"error", lerror},     {"harbor", lharbor},         {"callback", lcallback},
        {"trace", ltrace},     {nullptr, nullptr},
    };
    const luaL_Reg context_free[] = {
        {"tostring", ltostring},
        {"pack", luaseri_pack},
        {"unpack", luaseri_unpack},
        {"packstring", lpackstring},
        {"trash", ltrash},
        {"now", lnow},
        {"hpc", lhpc},
        {nullptr, nullptr},
    };
    lua_createtable(L, 0, 17);
    lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
    if (lua_touserdata(L, -1) == nullptr)
        return luaL_error(L, "Init skynet context first");
    luaL_setfuncs(L, with_context, 1);
    luaL_setfuncs(L, context_free, 0);
    return 1;
}
