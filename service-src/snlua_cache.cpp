#include "snlua_cache.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace {

enum class cache_mode { on, exist, off };

using bytecode_ptr = std::shared_ptr<const std::string>;

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

// package.loaders[2]: find `name` on package.path and load it through the cache.
int lsearcher(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchpath");
    lua_pushstring(L, name);
    lua_getfield(L, -3, "path");
    lua_call(L, 2, 2);
    if (lua_isnil(L, -2))
        return 1; // the "no file ..." message
    const char *filename = lua_tostring(L, -2);
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
            return luaL_loadbuffer(L, code->data(), code->size(), chunkname.c_str());
        }
    }
    int r = luaL_loadfile(L, filename);
    if (r != 0 || mode != cache_mode::on)
        return r;
    auto dumped = std::make_shared<std::string>();
    if (lua_dump(L, dump_writer, dumped.get()) == 0) {
        std::unique_lock guard(c.lock);
        c.bytecode.emplace(std::move(key), std::move(dumped));
    }
    return 0;
}

void skynet_codecache_install(lua_State *L) {
    lua_pushcfunction(L, lloadfile);
    lua_setglobal(L, "loadfile");
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaders");
    lua_pushcfunction(L, lsearcher);
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
