// skynet.debugchannel: the pipe between the debug console and a service in
// remote-debug mode (lualib/skynet/remotedebug.lua), and the line hook that
// pauses a coroutine. A channel is a locked string queue with two ends: the
// creator's box and the one box connect() may open from the raw pointer.
#include "modules.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace {

constexpr const char *meta_name = "skynet.debugchannel";
constexpr const char *hooks_field = "skynet.debugchannel.hooks";

struct channel {
    std::mutex lock;
    std::condition_variable readable;
    std::deque<std::string> queue;
    int ref = 1;
};

struct channel_box {
    channel *c;
};

// A channel has at most two ends; connect fails once the second is taken.
channel *channel_connect(channel *c) {
    std::lock_guard guard(c->lock);
    if (c->ref != 1)
        return nullptr;
    ++c->ref;
    return c;
}

void channel_release(channel *c) {
    bool last = false;
    {
        std::lock_guard guard(c->lock);
        last = --c->ref == 0;
    }
    if (last)
        std::unique_ptr<channel> owned(c); // the last end owns it
}

channel *check_channel(lua_State *L) {
    auto *box = static_cast<channel_box *>(luaL_checkudata(L, 1, meta_name));
    if (box->c == nullptr)
        luaL_error(L, "debug channel is released");
    return box->c;
}

// read([sec]): the oldest message, or nothing once sec/10 seconds pass
// without one (upstream sleeps sec*100000 microseconds; a write ends the
// wait early here).
int lread(lua_State *L) {
    channel *c = check_channel(L);
    double sec = luaL_optnumber(L, 2, 0);
    std::string msg;
    bool got = false;
    {
        std::unique_lock lock(c->lock);
        if (c->queue.empty() && sec > 0) {
            c->readable.wait_for(lock, std::chrono::duration<double>(sec / 10),
                                 [c] { return !c->queue.empty(); });
        }
        if (!c->queue.empty()) {
            msg = std::move(c->queue.front());
            c->queue.pop_front();
            got = true;
        }
    }
    if (!got)
        return 0;
    lua_pushlstring(L, msg.data(), msg.size());
    return 1;
}

int lwrite(lua_State *L) {
    channel *c = check_channel(L);
    size_t sz = 0;
    const char *s = luaL_checklstring(L, 2, &sz);
    {
        std::lock_guard guard(c->lock);
        c->queue.emplace_back(s, sz);
    }
    c->readable.notify_one();
    return 0;
}

// Also the boxes' __gc, so it must tolerate being called twice.
int lrelease(lua_State *L) {
    auto *box = static_cast<channel_box *>(luaL_testudata(L, 1, meta_name));
    if (box != nullptr && box->c != nullptr) {
        channel_release(box->c);
        box->c = nullptr;
    }
    return 0;
}

void push_box(lua_State *L, channel *c) {
    auto *box = static_cast<channel_box *>(lua_newuserdata(L, sizeof(channel_box)));
    box->c = c;
    if (luaL_newmetatable(L, meta_name)) {
        const luaL_Reg methods[] = {
            {"read", lread},
            {"write", lwrite},
            {nullptr, nullptr},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, lrelease);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
}

int lcreate(lua_State *L) {
    auto c = std::make_unique<channel>();
    push_box(L, c.get()); // may raise a memory error: c still owns the channel
    channel *raw = c.release();
    lua_pushlightuserdata(L, raw);
    return 2;
}

int lconnect(lua_State *L) {
    auto *c = static_cast<channel *>(lua_touserdata(L, 1));
    if (lua_type(L, 1) != LUA_TLIGHTUSERDATA || c == nullptr)
        return luaL_error(L, "Invalid channel pointer");
    if (channel_connect(c) == nullptr)
        return luaL_error(L, "new channel failed");
    push_box(L, c);
    return 1;
}

// Hooks. LuaJIT keeps one hook per state, not per coroutine, so the hook
// installed is one dispatcher and the registry table hooks_field maps each
// hooked thread (weakly) to {f, mask, count}; the state's mask is their union.

const char *const event_names[] = {"call", "return", "line", "count", "tail return"};

int event_mask(int event) {
    switch (event) {
    case LUA_HOOKCALL:
        return LUA_MASKCALL;
    case LUA_HOOKLINE:
        return LUA_MASKLINE;
    case LUA_HOOKCOUNT:
        return LUA_MASKCOUNT;
    default:
        return LUA_MASKRET;
    }
}

void push_hooks(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, hooks_field);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, hooks_field);
}

// Calls the thread's f(event, line); a true result pauses the coroutine on
// line and count events (LuaJIT can yield from those hooks).
void dispatch_hook(lua_State *L, lua_Debug *ar) {
    int top = lua_gettop(L);
    push_hooks(L);
    lua_pushthread(L);
    lua_rawget(L, -2);
    if (!lua_istable(L, -1)) {
        lua_settop(L, top);
        return;
    }
    lua_rawgeti(L, -1, 2);
    int mask = static_cast<int>(lua_tointeger(L, -1));
    lua_pop(L, 1);
    if ((mask & event_mask(ar->event)) == 0) {
        lua_settop(L, top);
        return;
    }
    lua_rawgeti(L, -1, 1);
    lua_pushstring(L, event_names[ar->event]);
    if (ar->event == LUA_HOOKLINE)
        lua_pushinteger(L, ar->currentline);
    else
        lua_pushnil(L);
    lua_call(L, 2, 1);
    bool pause = lua_toboolean(L, -1) != 0;
    lua_settop(L, top);
    if (pause && (ar->event == LUA_HOOKLINE || ar->event == LUA_HOOKCOUNT) && lua_isyieldable(L))
        lua_yield(L, 0);
}

int parse_mask(const char *s, int count) {
    int mask = 0;
    for (; *s != '\0'; ++s) {
        if (*s == 'c')
            mask |= LUA_MASKCALL;
        else if (*s == 'r')
            mask |= LUA_MASKRET;
        else if (*s == 'l')
            mask |= LUA_MASKLINE;
    }
    if (count > 0)
        mask |= LUA_MASKCOUNT;
    return mask;
}

// Recomputes the state's hook from the table at the top of the stack. With
// several counting threads, the smallest count serves them all.
void install_hook(lua_State *L) {
    int mask = 0;
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_rawgeti(L, -1, 2);
        mask |= static_cast<int>(lua_tointeger(L, -1));
        lua_rawgeti(L, -2, 3);
        int n = static_cast<int>(lua_tointeger(L, -1));
        if (n > 0 && (count == 0 || n < count))
            count = n;
        lua_pop(L, 3);
    }
    if (mask == 0)
        lua_sethook(L, nullptr, 0, 0);
    else
        lua_sethook(L, dispatch_hook, mask, count);
}

// sethook([co,] f, mask [, count]) installs f for co (default: the running
// thread); sethook([co]) removes it.
int lsethook(lua_State *L) {
    int arg = 0;
    if (lua_type(L, 1) == LUA_TTHREAD)
        arg = 1;
    lua_settop(L, arg + 3);
    push_hooks(L);
    int hooks = lua_gettop(L);
    if (arg == 1)
        lua_pushvalue(L, 1);
    else
        lua_pushthread(L);
    if (lua_isnil(L, arg + 1)) {
        lua_pushnil(L);
    } else {
        luaL_checktype(L, arg + 1, LUA_TFUNCTION);
        const char *smask = luaL_checkstring(L, arg + 2);
        int count = static_cast<int>(luaL_optinteger(L, arg + 3, 0));
        lua_createtable(L, 3, 0);
        lua_pushvalue(L, arg + 1);
        lua_rawseti(L, -2, 1);
        lua_pushinteger(L, parse_mask(smask, count));
        lua_rawseti(L, -2, 2);
        lua_pushinteger(L, count);
        lua_rawseti(L, -2, 3);
    }
    lua_rawset(L, hooks);
    install_hook(L);
    return 0;
}

} // namespace

int luaopen_skynet_debugchannel(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"create", lcreate},   {"connect", lconnect}, {"release", lrelease},
        {"sethook", lsethook}, {nullptr, nullptr},
    };
    luaL_newlib(L, funcs);
    return 1;
}
