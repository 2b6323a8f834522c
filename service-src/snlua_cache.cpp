#include "snlua_cache.h"

#include "lua54/lua54.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace {

enum class cache_mode { on, exist, off };

// A file's bytecode, after translation when it is Lua 5.4 source: the
// translated chunk is what is cached, so later states skip the translator.
struct compiled {
    std::string bytecode;
    bool translated = false; // needs the lua54 helpers in the state that loads it
};

using bytecode_ptr = std::shared_ptr<const compiled>;

struct code_cache {
    std::shared_mutex lock;
    std::unordered_map<std::string, bytecode_ptr> bytecode;
    std::atomic<cache_mode> mode{cache_mode::on};
};

code_cache &cache() {
    static code_cache c;
    return c;
}

int dump_writer(lua_State *, const void *p, size_t sz, void *ud) {
    static_cast<std::string *>(ud)->append(static_cast<const char *>(p), sz);
    return 0;
}

// Shared, not copied: a state loads from it after the lock is released, and
// a clear() meanwhile only drops the map's reference.
bytecode_ptr cached(const std::string &name) {
    auto &c = cache();
    std::shared_lock guard(c.lock);
    auto it = c.bytecode.find(name);
    return it == c.bytecode.end() ? nullptr : it->second;
}

// loadfile(filename [, mode [, env]])
int lloadfile(lua_State *L) {
    const char *filename = luaL_optstring(L, 1, nullptr);
    bool has_env = !lua_isnone(L, 3);
    if (filename == nullptr)
        return luaL_error(L, "loadfile from stdin is not supported in a service");
    if (skynet_codecache_loadfile(L, filename) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 3);
        lua_setfenv(L, -2);
    }
    return 1;
}

// dofile(filename): loadfile's chunk, called with the caller's results.
int ldofile(lua_State *L) {
    const char *filename = luaL_optstring(L, 1, nullptr);
    if (filename == nullptr)
        return luaL_error(L, "dofile from stdin is not supported in a service");
    lua_settop(L, 1);
    if (skynet_codecache_loadfile(L, filename) != 0)
        return lua_error(L);
    lua_call(L, 0, LUA_MULTRET);
    return lua_gettop(L) - 1;
}

bool readable(const char *filename) {
    FILE *f = std::fopen(filename, "r");
    if (f == nullptr)
        return false;
    std::fclose(f);
    return true;
}

// The first readable file of path for name (dots become directories), or
// nullptr with the "no file ..." lines pushed. As the builtin searcher does,
// reads the package table it was installed with, not whatever the global
// package or package.searchpath have become.
const char *search_path(lua_State *L, const char *name, const char *path) {
    luaL_Buffer msg;
    luaL_buffinit(L, &msg);
    name = luaL_gsub(L, name, ".", LUA_DIRSEP);
    int name_index = lua_gettop(L);
    for (;;) {
        while (*path == ';')
            ++path;
        if (*path == '\0')
            break;
        const char *end = std::strchr(path, ';');
        if (end == nullptr)
            end = path + std::strlen(path);
        lua_pushlstring(L, path, static_cast<size_t>(end - path));
        path = end;
        const char *filename = luaL_gsub(L, lua_tostring(L, -1), "?", name);
        lua_remove(L, -2);
        if (readable(filename))
            return filename;
        lua_pushfstring(L, "\n\tno file '%s'", filename);
        lua_remove(L, -2);
        luaL_addvalue(&msg);
    }
    lua_remove(L, name_index);
    luaL_pushresult(&msg);
    return nullptr;
}

// package.loaders[2]: find `name` on package.path and load it through the
// cache. Upvalue 1: the package table.
int lsearcher(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, lua_upvalueindex(1), "path");
    const char *path = lua_tostring(L, -1);
    if (path == nullptr)
        return luaL_error(L, "'package.path' must be a string");
    const char *filename = search_path(L, name, path);
    if (filename == nullptr)
        return 1; // the "no file ..." lines
    if (skynet_codecache_loadfile(L, filename) != 0)
        return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, filename,
                          lua_tostring(L, -1));
    return 1;
}

} // namespace

int skynet_codecache_loadfile(lua_State *L, const char *filename) {
    auto &c = cache();
    std::string key = filename;
    cache_mode mode = c.mode.load();
    if (mode != cache_mode::off) {
        if (bytecode_ptr code = cached(key)) {
            std::string chunkname = "@" + key;
            if (code->translated)
                skynet_lua54_helpers(L);
            return luaL_loadbuffer(L, code->bytecode.data(), code->bytecode.size(),
                                   chunkname.c_str());
        }
    }
    bool translated = false;
    int r = skynet_lua54_loadfile(L, filename, &translated);
    if (r != 0 || mode != cache_mode::on)
        return r;
    auto dumped = std::make_shared<compiled>();
    dumped->translated = translated;
    if (lua_dump(L, dump_writer, &dumped->bytecode) == 0) {
        std::unique_lock guard(c.lock);
        c.bytecode.emplace(std::move(key), std::move(dumped));
    }
    return 0;
}

void skynet_codecache_install(lua_State *L) {
    lua_pushcfunction(L, lloadfile);
    lua_setglobal(L, "loadfile");
    lua_pushcfunction(L, ldofile);
    lua_setglobal(L, "dofile");
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaders");
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, lsearcher, 1);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}

void skynet_codecache_clear() {
    auto &c = cache();
    std::unique_lock guard(c.lock);
    c.bytecode.clear();
}

void skynet_codecache_mode(const char *mode) {
    std::string_view m(mode);
    cache().mode = m == "OFF" ? cache_mode::off : m == "EXIST" ? cache_mode::exist : cache_mode::on;
}

const char *skynet_codecache_getmode() {
    switch (cache().mode.load()) {
    case cache_mode::off:
        return "OFF";
    case cache_mode::exist:
        return "EXIST";
    default:
        return "ON";
    }
}
