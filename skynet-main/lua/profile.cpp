// skynet.profile: per-coroutine CPU time. start() marks a coroutine as
// profiled; resume/wrap (which snlua installs as coroutine.resume/wrap) add
// the thread CPU time spent inside each resume of a profiled coroutine;
// stop() returns the total in seconds. Both tables are weak, keyed by thread.
#include "compat.h"
#include "modules.h"

#include <ctime>

namespace {

// Upvalues shared by every function of the module.
constexpr int start_times = 1; // thread -> CPU clock when it was last resumed
constexpr int total_times = 2; // thread -> seconds accumulated so far
// { [1] = threads started and not stopped, resume = LuaJIT's own resume,
//   account = laccount },
// also at registry["skynet.profile"]: while [1] is 0 no resume needs timing,
// and skynet.lua takes the fast built-in resume instead of ours.
constexpr int state = 3;

bool any_profiled(lua_State *L) {
    lua_rawgeti(L, lua_upvalueindex(state), 1);
    bool any = lua_tointeger(L, -1) != 0;
    lua_pop(L, 1);
    return any;
}

void count_profiled(lua_State *L, int delta) {
    lua_rawgeti(L, lua_upvalueindex(state), 1);
    lua_Integer n = lua_tointeger(L, -1) + delta;
    lua_pop(L, 1);
    lua_pushinteger(L, n);
    lua_rawseti(L, lua_upvalueindex(state), 1);
}

// Seconds are kept to 16 bits so the sum stays exact in a double; a clock
// that wrapped since the start reads as smaller and is corrected.
double cpu_clock() {
    timespec ti{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ti);
    return static_cast<double>(ti.tv_sec & 0xffff) + static_cast<double>(ti.tv_nsec) / 1e9;
}

double elapsed(double start) {
    double now = cpu_clock();
    return now < start ? now + 0x10000 - start : now - start;
}

bool started_at(lua_State *L, int co, double *start) {
    lua_pushvalue(L, co);
    lua_rawget(L, lua_upvalueindex(start_times));
    bool profiled = !lua_isnil(L, -1);
    if (profiled)
        *start = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return profiled;
}

void set_time(lua_State *L, int table, int co, double value) {
    lua_pushvalue(L, co);
    lua_pushnumber(L, value);
    lua_rawset(L, lua_upvalueindex(table));
}

double total_of(lua_State *L, int co) {
    lua_pushvalue(L, co);
    lua_rawget(L, lua_upvalueindex(total_times));
    double total = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return total;
}

// Leaves the thread argument (or the running thread) at index 1.
void thread_argument(lua_State *L) {
    if (lua_gettop(L) != 0) {
        lua_settop(L, 1);
        luaL_checktype(L, 1, LUA_TTHREAD);
    } else {
        lua_pushthread(L);
    }
}

int lstart(lua_State *L) {
    thread_argument(L);
    double start = 0;
    if (started_at(L, 1, &start))
        return luaL_error(L, "Thread %p start profile more than once", lua_topointer(L, 1));
    set_time(L, total_times, 1, 0);
    set_time(L, start_times, 1, cpu_clock());
    count_profiled(L, 1);
    return 0;
}

int lstop(lua_State *L) {
    thread_argument(L);
    double start = 0;
    if (!started_at(L, 1, &start))
        return luaL_error(L, "Call profile.start() before profile.stop()");
    double total = total_of(L, 1) + elapsed(start);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, lua_upvalueindex(start_times));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, lua_upvalueindex(total_times));
    count_profiled(L, -1);
    lua_pushnumber(L, total);
    return 1;
}

// Resumes the coroutine at index `co` with the top `nargs` values of L, as
// coroutine.resume does. Returns the number of results moved onto L, or -1
// with the error value on top of L.
int timed_resume(lua_State *L, int co_index, int nargs) {
    lua_State *co = lua_tothread(L, co_index);
    switch (coroutine_status(L, co)) {
    case costatus::suspended:
        break;
    case costatus::dead:
        lua_pushliteral(L, "cannot resume dead coroutine");
        return -1;
    default:
        lua_pushliteral(L, "cannot resume non-suspended coroutine");
        return -1;
    }
    if (!lua_checkstack(co, nargs)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    double start = 0;
    bool timing = any_profiled(L);
    if (timing && started_at(L, co_index, &start))
        set_time(L, start_times, co_index, cpu_clock());
    lua_xmove(L, co, nargs);
    int status = lua_resume(co, nargs);
    // A yield banks the stretch; a return or an error leaves it open for stop(),
    // as upstream does (stop adds the time since the last resume). The
    // coroutine may have called start() or stop() meanwhile: look again.
    if (status == LUA_YIELD && (timing || any_profiled(L)) && started_at(L, co_index, &start))
        set_time(L, total_times, co_index, total_of(L, co_index) + elapsed(start));
    if (status != 0 && status != LUA_YIELD) {
        lua_xmove(co, L, 1);
        return -1;
    }
    int nres = lua_gettop(co);
    if (!lua_checkstack(L, nres + 1)) {
        lua_pop(co, nres);
        lua_pushliteral(L, "too many results to resume");
        return -1;
    }
    lua_xmove(co, L, nres);
    return nres;
}

// state.account(co): the part of timed_resume that follows the resume, for a
// thread skynet.lua resumed with the plain resume (nothing was profiled
// then) and that started profiling before it yielded.
int laccount(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTHREAD);
    double start = 0;
    if (lua_status(lua_tothread(L, 1)) == LUA_YIELD && started_at(L, 1, &start))
        set_time(L, total_times, 1, total_of(L, 1) + elapsed(start));
    return 0;
}

int lresume(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTHREAD);
    int r = timed_resume(L, 1, lua_gettop(L) - 1);
    if (r < 0) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

// Upvalue 4 is the coroutine; errors carry the caller's position like
// LuaJIT's own wrap.
int wrapped(lua_State *L) {
    int r = timed_resume(L, lua_upvalueindex(4), lua_gettop(L));
    if (r < 0) {
        if (lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return r;
}

int lwrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_pushvalue(L, lua_upvalueindex(start_times));
    lua_pushvalue(L, lua_upvalueindex(total_times));
    lua_pushvalue(L, lua_upvalueindex(state));
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wrapped, 4);
    return 1;
}

} // namespace

int luaopen_skynet_profile(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"start", lstart}, {"stop", lstop},    {"resume", lresume},
        {"wrap", lwrap},   {nullptr, nullptr},
    };
    luaL_newlibtable(L, funcs);
    lua_newtable(L);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "kv");
    lua_setfield(L, -2, "__mode");
    lua_pushvalue(L, -1);
    lua_setmetatable(L, -3);
    lua_setmetatable(L, -3);
    lua_createtable(L, 1, 2);
    lua_pushinteger(L, 0);
    lua_rawseti(L, -2, 1);
    lua_getglobal(L, "coroutine");
    if (lua_istable(L, -1))
        lua_getfield(L, -1, "resume");
    else
        lua_pushnil(L);
    lua_setfield(L, -3, "resume");
    lua_pop(L, 1);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, laccount, 3);
    lua_setfield(L, -2, "account");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "skynet.profile");
    luaL_setfuncs(L, funcs, 3);
    return 1;
}
