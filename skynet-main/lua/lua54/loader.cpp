// The translating loaders and the Lua-facing binding (load, loadstring,
// require "skynet.lua54").
//
// How translated code reaches the helpers: each translated chunk starts, on
// its first line and without a newline, with `local __L54=("").__L54;`.
// ("").x indexes the string metatable's __index, the string library table,
// where skynet_lua54_helpers puts the helper table. That read needs no
// global, so setfenv, load(..., env) and sandboxes cannot hide it, and it
// costs the chunk one local (of LuaJIT's 200) and each function using an
// operator one upvalue (of 60), instead of one per helper. The upvalue never
// changes, so LuaJIT's traces treat the helper functions as constants and
// inline them.
#include "lua54.h"

#include "helpers.lua.h"
#include "translate.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace {

int dump_writer(lua_State *, const void *p, size_t sz, void *ud) {
    static_cast<std::string *>(ud)->append(static_cast<const char *>(p), sz);
    return 0;
}

// Compiled once, in a scratch state; every state that needs the helpers loads
// this bytecode (debug info kept, so their errors have lines).
const std::string &helpers_bytecode() {
    static const std::string code = [] {
        std::string out;
        lua_State *L = luaL_newstate();
        if (L == nullptr)
            return out;
        const char *src = lua54::helpers_chunk;
        if (luaL_loadbuffer(L, src, std::strlen(src), "=[lua54]") == 0)
            lua_dump(L, dump_writer, &out);
        lua_close(L);
        return out;
    }();
    return code;
}

// package.loaded[name] (a lazy stand-in opens on first use), or the library
// opened now in a state that never loaded it.
void push_library(lua_State *L, const char *name, lua_CFunction open) {
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    lua_pushcfunction(L, open);
    lua_call(L, 0, 1);
}

// Runs the helper chunk with bit, math, debug.getmetatable and the string
// library table, which it stores the helpers in.
int install_helpers(lua_State *L) {
    const std::string &code = helpers_bytecode();
    if (code.empty() || luaL_loadbuffer(L, code.data(), code.size(), "=[lua54]") != 0)
        return luaL_error(L, "lua54: cannot load the operator helpers");
    push_library(L, LUA_BITLIBNAME, luaopen_bit);
    push_library(L, LUA_MATHLIBNAME, luaopen_math);
    push_library(L, LUA_DBLIBNAME, luaopen_debug);
    lua_getfield(L, -1, "getmetatable");
    lua_remove(L, -2);
    lua_pushliteral(L, "");
    if (!lua_getmetatable(L, -1)) { // a state without the string library
        lua_pushcfunction(L, luaopen_string);
        lua_call(L, 0, 0);
        lua_getmetatable(L, -1);
    }
    lua_getfield(L, -1, "__index");
    lua_replace(L, -3);
    lua_pop(L, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "lua54: the string metatable has no __index table");
    lua_call(L, 4, 0);
    return 0;
}

// Raw reads only: must not raise, even in a state without the string library.
bool has_helpers(lua_State *L) {
    lua_pushliteral(L, "");
    if (!lua_getmetatable(L, -1)) {
        lua_pop(L, 1);
        return false;
    }
    lua_pushliteral(L, "__index");
    lua_rawget(L, -2);
    bool has = false;
    if (lua_istable(L, -1)) {
        lua_pushlstring(L, lua54::helpers_local.data(), lua54::helpers_local.size());
        lua_rawget(L, -2);
        has = lua_istable(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 3);
    return has;
}

bool allows_text(const char *mode) {
    return mode == nullptr || std::strchr(mode, 't') != nullptr;
}

// load(chunk [, chunkname [, mode [, env]]]), as LuaJIT's, translating.
int lload(lua_State *L) {
    std::string collected;
    const char *buf = nullptr;
    size_t sz = 0;
    const char *chunkname = nullptr;
    const char *mode = luaL_optstring(L, 3, nullptr);
    int t = lua_type(L, 1);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        buf = lua_tolstring(L, 1, &sz);
        chunkname = luaL_optstring(L, 2, buf);
    } else {
        luaL_checktype(L, 1, LUA_TFUNCTION);
        chunkname = luaL_optstring(L, 2, "=(load)");
        for (;;) {
            lua_pushvalue(L, 1);
            if (lua_pcall(L, 0, 1, 0) != 0) {
                lua_pushnil(L);
                lua_insert(L, -2);
                return 2;
            }
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            if (!lua_isstring(L, -1)) {
                lua_pushnil(L);
                lua_pushliteral(L, "reader function must return a string");
                return 2;
            }
            size_t n = 0;
            const char *piece = lua_tolstring(L, -1, &n);
            lua_pop(L, 1);
            if (n == 0)
                break;
            collected.append(piece, n);
        }
        buf = collected.data();
        sz = collected.size();
    }
    int env = lua_type(L, 4) == LUA_TTABLE ? 4 : 0;
    if (skynet_lua54_loadbuffer(L, buf, sz, chunkname, mode) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (env != 0) {
        lua_pushvalue(L, env);
        lua_setfenv(L, -2);
    }
    return 1;
}

// skynet.lua54.translate(source [, chunkname]): the LuaJIT source (the
// source itself when it needs no change), or nil and the syntax error.
int ltranslate(lua_State *L) {
    size_t sz = 0;
    const char *src = luaL_checklstring(L, 1, &sz);
    const char *chunkname = luaL_optstring(L, 2, src);
    std::string code;
    switch (lua54::translate({src, sz}, chunkname, code)) {
    case lua54::outcome::unchanged:
        lua_settop(L, 1);
        lua_pushboolean(L, 0);
        return 2;
    case lua54::outcome::translated:
        lua_pushlstring(L, code.data(), code.size());
        lua_pushboolean(L, 1);
        return 2;
    case lua54::outcome::error:
        break;
    }
    lua_pushnil(L);
    lua_pushlstring(L, code.data(), code.size());
    return 2;
}

int lhelpers(lua_State *L) {
    skynet_lua54_helpers(L);
    lua_pushliteral(L, "");
    lua_getfield(L, -1, lua54::helpers_local.data());
    return 1;
}

// A file's #! line is skipped as luaL_loadfile does (its newline stays, so
// lines agree); translated source has it commented out instead.
int load_source(lua_State *L, std::string_view src, const char *chunkname, const char *mode,
                bool *translated, bool is_file) {
    if (translated)
        *translated = false;
    std::string code;
    lua54::outcome what =
        allows_text(mode) ? lua54::translate(src, chunkname, code) : lua54::outcome::unchanged;
    switch (what) {
    case lua54::outcome::unchanged:
        if (is_file && !src.empty() && src[0] == '#')
            src.remove_prefix(std::min(src.find('\n'), src.size()));
        return luaL_loadbufferx(L, src.data(), src.size(), chunkname, mode);
    case lua54::outcome::error:
        lua_pushlstring(L, code.data(), code.size());
        return LUA_ERRSYNTAX;
    case lua54::outcome::translated:
        break;
    }
    if (translated)
        *translated = true;
    if (code.find(lua54::helpers_local) != std::string::npos && !has_helpers(L)) {
        lua_pushcfunction(L, install_helpers);
        if (lua_pcall(L, 0, 0, 0) != 0)
            return LUA_ERRRUN;
    }
    return luaL_loadbufferx(L, code.data(), code.size(), chunkname, mode);
}

struct file_closer {
    void operator()(FILE *f) const { std::fclose(f); }
};

} // namespace

void skynet_lua54_helpers(lua_State *L) {
    if (has_helpers(L))
        return;
    lua_pushcfunction(L, install_helpers);
    lua_call(L, 0, 0);
}

int skynet_lua54_loadbuffer(lua_State *L, const char *buf, size_t sz, const char *chunkname,
                            const char *mode, bool *translated) {
    return load_source(L, {buf, sz}, chunkname, mode, translated, false);
}

int skynet_lua54_loadfile(lua_State *L, const char *filename, bool *translated) {
    std::unique_ptr<FILE, file_closer> f(std::fopen(filename, "rb"));
    if (!f) {
        lua_pushfstring(L, "cannot open %s: %s", filename, std::strerror(errno));
        return LUA_ERRFILE;
    }
    std::string src;
    char chunk[16384];
    size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof(chunk), f.get())) > 0)
        src.append(chunk, n);
    if (std::ferror(f.get())) {
        lua_pushfstring(L, "cannot read %s: %s", filename, std::strerror(errno));
        return LUA_ERRFILE;
    }
    std::string chunkname = std::string("@") + filename;
    return load_source(L, src, chunkname.c_str(), nullptr, translated, true);
}

void skynet_lua54_install(lua_State *L) {
    lua_pushcfunction(L, lload);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "load");
    lua_setglobal(L, "loadstring");
}

int luaopen_skynet_lua54(lua_State *L) {
    const luaL_Reg functions[] = {
        {"translate", ltranslate},
        {"helpers", lhelpers},
        {"load", lload},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, functions);
    return 1;
}
