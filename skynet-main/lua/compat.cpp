// The Lua 5.2-5.4 features upstream skynet's Lua relies on, grafted onto
// LuaJIT 2.1 (built without LUAJIT_ENABLE_LUA52COMPAT). Installed in every
// state before any Lua runs. string.pack and utf8 live in strpack.cpp and
// utf8.cpp.
#include "compat.h"
#include "modules.h"
#include "skynet.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

// Hidden keys of a finalizer's shadow metatable (see attach_finalizer).
const char real_metatable_key = 0;
const char sentinel_key = 0;

void set_function(lua_State *L, int table, const char *name, lua_CFunction f) {
    lua_pushcfunction(L, f);
    lua_setfield(L, table < 0 ? table - 1 : table, name);
}

// Metamethods are looked up raw, as the VM does.
void push_rawfield(lua_State *L, int table, const char *name) {
    lua_pushstring(L, name);
    lua_rawget(L, table);
}

int table_pack(lua_State *L) {
    int n = lua_gettop(L);
    lua_createtable(L, n, 1);
    lua_insert(L, 1);
    for (int i = n; i >= 1; --i)
        lua_rawseti(L, 1, i);
    lua_pushinteger(L, n);
    lua_setfield(L, 1, "n");
    return 1;
}

// LuaJIT's running() answers nil in the main thread; skynet.require asserts
// it runs in the main thread through the second result.
int co_running(lua_State *L) {
    int ismain = lua_pushthread(L);
    lua_pushboolean(L, ismain);
    return 2;
}

// LuaJIT cannot unwind a yielded coroutine, and has no to-be-closed variables
// to run, so close only checks the state and, for one never started, drops
// its body so it reads as dead. A closed yielded coroutine is simply left for
// the collector.
int co_close(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argcheck(L, co != nullptr, 1, "coroutine expected");
    switch (coroutine_status(L, co)) {
    case costatus::running:
        return luaL_error(L, "cannot close a running coroutine");
    case costatus::normal:
        return luaL_error(L, "cannot close a normal coroutine");
    case costatus::suspended:
        if (lua_status(co) == 0)
            lua_settop(co, 0);
        break;
    case costatus::dead:
        break;
    }
    lua_pushboolean(L, 1);
    return 1;
}

// An integral double counts as a Lua integer when a 64-bit integer holds it.
// The upper bound is inclusive because math.maxinteger (2^63-1) rounds to 2^63.
bool is_integral(lua_Number n) {
    constexpr lua_Number two63 = 9223372036854775808.0;
    return n >= -two63 && n <= two63 && std::floor(n) == n;
}

int math_type(lua_State *L) {
    if (lua_type(L, 1) != LUA_TNUMBER) {
        luaL_checkany(L, 1);
        lua_pushnil(L);
    } else {
        lua_pushstring(L, is_integral(lua_tonumber(L, 1)) ? "integer" : "float");
    }
    return 1;
}

int math_tointeger(lua_State *L) {
    if (lua_type(L, 1) == LUA_TNUMBER && is_integral(lua_tonumber(L, 1))) {
        lua_settop(L, 1);
    } else {
        luaL_checkany(L, 1);
        lua_pushnil(L);
    }
    return 1;
}

uint64_t check_bits(lua_State *L, int arg) {
    int64_t i = 0;
    if (!number_to_integer(luaL_checknumber(L, arg), &i))
        luaL_argerror(L, arg, "number has no integer representation");
    return static_cast<uint64_t>(i);
}

int math_ult(lua_State *L) {
    uint64_t a = check_bits(L, 1);
    uint64_t b = check_bits(L, 2);
    lua_pushboolean(L, a < b);
    return 1;
}

// pairs for values with a metatable (see front_chunk). Upvalue 1 is the
// builtin next: returning that very function keeps LuaJIT's pairs loop fast.
int base_pairs(lua_State *L) {
    if (luaL_getmetafield(L, 1, "__pairs")) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int base_rawlen(lua_State *L) {
    int t = lua_type(L, 1);
    luaL_argcheck(L, t == LUA_TTABLE || t == LUA_TSTRING, 1, "table or string expected");
    lua_pushinteger(L, static_cast<lua_Integer>(lua_objlen(L, 1)));
    return 1;
}

// Lua 5.4 warnings are off unless enabled; skynet never enables them.
int base_warn(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checkstring(L, 1);
    for (int i = 2; i <= n; ++i)
        luaL_checkstring(L, i);
    return 0;
}

// LuaJIT's print leaves lines in the stdio buffer when stdout is a pipe or a
// file; operators and tests tail that stream, so each line is flushed. The
// line goes out in one fwrite so lines of concurrent services don't mix.
int base_print(lua_State *L) {
    int n = lua_gettop(L);
    lua_getglobal(L, "tostring");
    int tostring = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; ++i) {
        lua_pushvalue(L, tostring);
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "'tostring' must return a string to 'print'");
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t sz = 0;
    const char *line = lua_tolstring(L, -1, &sz);
    fwrite(line, 1, sz, stdout);
    fflush(stdout);
    return 0;
}

void report_gc_error(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    skynet_lua_log(L, "error in __gc metamethod (%s)", msg ? msg : "?");
}

// __gc of a finalizer sentinel: its environment is the watched table. The
// table's finalizer runs only while the table still carries the shadow that
// owns this sentinel (a later setmetatable disarms it), and it is looked up
// in the user's metatable now, as Lua 5.4 does.
int sentinel_gc(lua_State *L) {
    lua_getfenv(L, 1);
    int t = lua_gettop(L);
    if (!lua_istable(L, t) || !lua_getmetatable(L, t))
        return 0;
    int shadow = lua_gettop(L);
    lua_pushlightuserdata(L, const_cast<char *>(&sentinel_key));
    lua_rawget(L, shadow);
    if (!lua_rawequal(L, -1, 1))
        return 0;
    lua_pushlightuserdata(L, const_cast<char *>(&real_metatable_key));
    lua_rawget(L, shadow);
    if (!lua_istable(L, -1))
        return 0;
    push_rawfield(L, lua_gettop(L), "__gc");
    if (lua_isnil(L, -1))
        return 0;
    lua_pushvalue(L, t);
    if (lua_pcall(L, 1, 0, 0) != 0)
        report_gc_error(L);
    return 0;
}

// LuaJIT runs __gc only for userdata, and has no ephemerons, so a table can't
// be watched from a side table without keeping it alive forever. Instead the
// table gets a private copy of its metatable (the shadow) that holds a
// zero-size userdata (the sentinel), whose environment is the table. The
// cycle table -> shadow -> sentinel -> table has no outside root: when the
// table becomes garbage the sentinel's __gc fires with the table still
// intact, and lua_close fires every remaining one. The shadow's __metatable
// names the user's metatable, so getmetatable() is unchanged.
// Stack: 1 table, 2 metatable. Upvalue 1: the sentinel metatable.
void attach_finalizer(lua_State *L) {
    lua_createtable(L, 0, 8);
    int shadow = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, shadow);
    }
    push_rawfield(L, shadow, "__metatable");
    bool protects = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!protects) {
        lua_pushvalue(L, 2);
        lua_setfield(L, shadow, "__metatable");
    }
    lua_pushlightuserdata(L, const_cast<char *>(&real_metatable_key));
    lua_pushvalue(L, 2);
    lua_rawset(L, shadow);

    lua_pushlightuserdata(L, const_cast<char *>(&sentinel_key));
    lua_newuserdata(L, 0);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_setmetatable(L, -2);
    lua_pushvalue(L, 1);
    lua_setfenv(L, -2);
    lua_rawset(L, shadow);

    lua_setmetatable(L, 1);
}

// The protection a metatable declares: for a shadow, only the user's own
// __metatable counts, not the one the shadow adds.
bool is_protected(lua_State *L, int mt) {
    lua_pushlightuserdata(L, const_cast<char *>(&real_metatable_key));
    lua_rawget(L, mt);
    int owner = lua_istable(L, -1) ? lua_gettop(L) : mt;
    push_rawfield(L, owner, "__metatable");
    bool protects = !lua_isnil(L, -1);
    lua_pop(L, 2);
    return protects;
}

// math.maxinteger is 2^63-1 rounded to the nearest double, 2^63; mininteger
// is -2^63 exactly. Both count as integers for math.type/tointeger.
void install_math_into(lua_State *L, int math) {
    set_function(L, math, "type", math_type);
    set_function(L, math, "tointeger", math_tointeger);
    set_function(L, math, "ult", math_ult);
    lua_pushnumber(L, 9223372036854775807.0);
    lua_setfield(L, math, "maxinteger");
    lua_pushnumber(L, -9223372036854775808.0);
    lua_setfield(L, math, "mininteger");
}

// Libraries a service may never touch are opened on first use. Until then the
// global (and package.loaded entry) is an empty stand-in table whose
// metatable opens the real library into that very table on the first read,
// write or pairs(), then goes away. Registry[&lazy_key] maps each stand-in
// to the luaL_Reg that opens it.
const char lazy_key = 0;

// math gets its Lua 5.3 additions as it opens.
int open_math(lua_State *L) {
    lua_pushcfunction(L, luaopen_math);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    install_math_into(L, lua_gettop(L));
    return 1;
}

const luaL_Reg lazy_libraries[] = {
    {LUA_MATHLIBNAME, open_math},
    {LUA_IOLIBNAME, luaopen_io},
    {LUA_OSLIBNAME, luaopen_os},
    {LUA_BITLIBNAME, luaopen_bit},
};

// The luaL_Reg of the stand-in at idx, or nullptr when idx is none (any more).
const luaL_Reg *lazy_library(lua_State *L, int idx) {
    if (idx < 0)
        idx = lua_gettop(L) + idx + 1;
    lua_pushlightuserdata(L, const_cast<char *>(&lazy_key));
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return nullptr;
    }
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    auto *lib = static_cast<const luaL_Reg *>(lua_touserdata(L, -1));
    lua_pop(L, 2);
    return lib;
}

// Opens the library of the stand-in at idx into it; nothing if idx is none.
void open_lazy(lua_State *L, int idx) {
    if (idx < 0)
        idx = lua_gettop(L) + idx + 1;
    const luaL_Reg *lib = lazy_library(L, idx);
    if (lib == nullptr)
        return;
    lua_pushlightuserdata(L, const_cast<char *>(&lazy_key));
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setmetatable(L, idx);
    // LuaJIT's luaopen_* fill package.loaded[name] when it is a table: make
    // sure that is the stand-in, whatever the user did to package.loaded.
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    int loaded = lua_gettop(L);
    lua_getfield(L, loaded, lib->name);
    lua_pushvalue(L, idx);
    lua_setfield(L, loaded, lib->name);
    lua_pushcfunction(L, lib->func);
    lua_pushstring(L, lib->name);
    lua_call(L, 1, 0);
    lua_setfield(L, loaded, lib->name); // back to what it was
    lua_pop(L, 1);
}

int lazy_index(lua_State *L) {
    open_lazy(L, 1);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
}

int lazy_newindex(lua_State *L) {
    open_lazy(L, 1);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

// Upvalue 1: the builtin next.
int lazy_pairs(lua_State *L) {
    open_lazy(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int base_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
    lua_settop(L, 2);
    open_lazy(L, 1); // a stand-in's own metatable must not be replaced
    if (lua_getmetatable(L, 1)) {
        if (is_protected(L, 3))
            return luaL_error(L, "cannot change a protected metatable");
        lua_pop(L, 1);
    }
    bool finalized = false;
    if (t == LUA_TTABLE) {
        push_rawfield(L, 2, "__gc");
        finalized = !lua_isnil(L, -1);
        lua_pop(L, 1);
    }
    if (finalized)
        attach_finalizer(L);
    else
        lua_setmetatable(L, 1);
    lua_settop(L, 1);
    return 1;
}

// setmetatable and pairs run on every object creation and table walk, so
// their common case stays with LuaJIT's builtins, which the JIT compiles: a
// small Lua front tail-calls the builtin (errors then name the caller's line
// and 'setmetatable'/'pairs' as before) and only a metatable with __gc, a
// table that already has one, or a __pairs metamethod reach the C code above.
// A __metatable decoy table hides the real __pairs; Lua 5.4 would find it.
const char *const front_chunk = R"lua(
local raw_setmetatable, raw_pairs, finalizing_setmetatable, meta_pairs, raw_ipairs = ...
local getmetatable, rawget, type = getmetatable, rawget, type
local function setmetatable(t, mt)
	if getmetatable(t) == nil and (type(mt) ~= "table" or rawget(mt, "__gc") == nil) then
		return raw_setmetatable(t, mt)
	end
	return finalizing_setmetatable(t, mt)
end
local function pairs(t)
	local mt = getmetatable(t)
	if mt == nil or (type(mt) == "table" and rawget(mt, "__pairs") == nil) then
		return raw_pairs(t)
	end
	return meta_pairs(t)
end
-- Lua 5.3+ ipairs reads through __index (sharedata proxies are userdata)
local function index_next(t, i)
	i = i + 1
	local v = t[i]
	if v ~= nil then
		return i, v
	end
end
local function ipairs(t)
	if getmetatable(t) == nil then
		return raw_ipairs(t)
	end
	return index_next, t, 0
end
return setmetatable, pairs, ipairs
)lua";

int dump_writer(lua_State *, const void *p, size_t sz, void *ud) {
    static_cast<std::string *>(ud)->append(static_cast<const char *>(p), sz);
    return 0;
}

// Every service state runs front_chunk: it is compiled once, in a scratch
// state, and later states load its bytecode (debug info kept).
const std::string &front_bytecode() {
    static const std::string code = [] {
        std::string out;
        lua_State *L = luaL_newstate();
        if (L == nullptr)
            return out;
        if (luaL_loadbuffer(L, front_chunk, std::strlen(front_chunk), "=[compat]") == 0)
            lua_dump(L, dump_writer, &out);
        lua_close(L);
        return out;
    }();
    return code;
}

void install_fronts(lua_State *L, int g) {
    const std::string &code = front_bytecode();
    if (code.empty())
        luaL_loadbuffer(L, front_chunk, std::strlen(front_chunk), "=[compat]");
    else
        luaL_loadbuffer(L, code.data(), code.size(), "=[compat]");
    lua_getfield(L, g, "setmetatable");
    lua_getfield(L, g, "pairs");

    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, sentinel_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushcclosure(L, base_setmetatable, 1);

    lua_getfield(L, g, "next");
    lua_pushcclosure(L, base_pairs, 1);
    lua_getfield(L, g, "ipairs");

    lua_call(L, 5, 3);
    lua_setfield(L, g, "ipairs");
    lua_setfield(L, g, "pairs");
    lua_setfield(L, g, "setmetatable");
}

void install_base(lua_State *L) {
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    int g = lua_gettop(L);
    install_fronts(L, g);
    set_function(L, g, "rawlen", base_rawlen);
    set_function(L, g, "warn", base_warn);
    set_function(L, g, "print", base_print);

    // snaxd and sharedatad use _ENV as "the globals".
    lua_pushvalue(L, g);
    lua_setfield(L, g, "_ENV");
    lua_pop(L, 1);
}

void install_table(lua_State *L) {
    lua_getglobal(L, "table");
    set_function(L, -1, "pack", table_pack);
    lua_getglobal(L, "unpack");
    lua_setfield(L, -2, "unpack");
    lua_pop(L, 1);
}

void install_coroutine(lua_State *L) {
    lua_getglobal(L, "coroutine");
    set_function(L, -1, "running", co_running);
    set_function(L, -1, "close", co_close);
    lua_pop(L, 1);
}

// math, unless it is a stand-in not opened yet (it gets these as it opens).
void install_math(lua_State *L) {
    lua_getglobal(L, "math");
    if (lua_istable(L, -1) && lazy_library(L, -1) == nullptr)
        install_math_into(L, lua_gettop(L));
    lua_pop(L, 1);
}

} // namespace

void skynet_lua_log(lua_State *L, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
    auto *ctx = static_cast<skynet_context *>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    if (ctx != nullptr)
        skynet_error(ctx, "%s", line);
    else
        fprintf(stderr, "%s\n", line);
}

void skynet_lua_lazy_libraries(lua_State *L) {
    lua_pushlightuserdata(L, const_cast<char *>(&lazy_key));
    lua_createtable(L, 0, 4);
    int map = lua_gettop(L);
    lua_createtable(L, 0, 3);
    int mt = lua_gettop(L);
    lua_pushcfunction(L, lazy_index);
    lua_setfield(L, mt, "__index");
    lua_pushcfunction(L, lazy_newindex);
    lua_setfield(L, mt, "__newindex");
    lua_getglobal(L, "next");
    lua_pushcclosure(L, lazy_pairs, 1);
    lua_setfield(L, mt, "__pairs");
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    int loaded = lua_gettop(L);
    for (const luaL_Reg &lib : lazy_libraries) {
        lua_newtable(L);
        lua_pushvalue(L, mt);
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_pushlightuserdata(L, const_cast<luaL_Reg *>(&lib));
        lua_rawset(L, map);
        lua_pushvalue(L, -1);
        lua_setfield(L, loaded, lib.name);
        lua_setglobal(L, lib.name);
    }
    lua_settop(L, map);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

void skynet_lua_compat(lua_State *L) {
    install_base(L);
    install_table(L);
    install_coroutine(L);
    install_math(L);
    skynet_compat_strpack(L);
    skynet_compat_utf8(L);
}
