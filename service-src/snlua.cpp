// snlua: a Lua service. One LuaJIT state per service, created with our own
// allocator (snlua_alloc.h) so per-service memory, memlimit and the memory
// warnings are real.
#include "compat.h"
#include "lua54/lua54.h"
#include "module.h"
#include "modules.h"
#include "server.h"
#include "snlua_alloc.h"
#include "snlua_cache.h"

#include <atomic>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>

namespace {

constexpr size_t MEMORY_WARNING_REPORT = 1024 * 1024 * 32;
constexpr size_t MEMLIMIT_RESERVE = 16 * 1024;

struct snlua {
    snlua_alloc::heap heap; // outlives L: declared first
    lua_State *L = nullptr;
    skynet_context *ctx = nullptr;
    size_t mem = 0;
    size_t mem_report = MEMORY_WARNING_REPORT;
    size_t mem_limit = 0;
    size_t mem_watch = MEMORY_WARNING_REPORT; // the lower of mem_report and mem_limit
    int grace = 0;                            // > 0: mem_limit suspended (see memgrace)
    size_t grace_base = 0;                    // mem when the grace began
    size_t grace_bytes = 0; // what graces added: it does not count against mem_limit
    bool overdrawn = false; // refused once: MEMLIMIT_RESERVE past the limit is open

    size_t limit() const { return mem_limit + grace_bytes; }

    void update_watch() {
        if (overdrawn)
            mem_watch = 0; // every allocation checks, until the heap is back under the limit
        else
            mem_watch = mem_limit != 0 && limit() < mem_report ? limit() : mem_report;
    }
};

// Past mem_watch: refuses growth beyond the limit, warns each time the heap
// doubles past 32 MiB.
// After the first refusal a small reserve past the limit stays open, so the
// service can still reach memgrace: calling skynet.exit may have to grow the
// coroutine's stack. Once the heap is back under the limit the reserve closes.
[[gnu::noinline]] bool watch_memory(snlua *l, size_t mem, void *ptr, size_t osize, size_t nsize) {
    if (l->mem_limit != 0 && l->grace == 0) {
        if (mem <= l->limit()) {
            if (l->overdrawn) {
                l->overdrawn = false;
                l->update_watch();
            }
        } else if (ptr == nullptr || nsize > osize) {
            if (!l->overdrawn || mem > l->limit() + MEMLIMIT_RESERVE) {
                l->overdrawn = true;
                l->update_watch();
                return false; // Lua raises "not enough memory"
            }
        }
    }
    l->mem = mem;
    if (mem > l->mem_report) {
        l->mem_report *= 2;
        l->update_watch();
        skynet_error(l->ctx, "Memory warning %.2f M", static_cast<double>(mem) / (1024 * 1024));
    }
    return true;
}

void *lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    auto *l = static_cast<snlua *>(ud);
    size_t mem = l->mem - (ptr ? osize : 0) + nsize;
    if (mem > l->mem_watch) {
        if (!watch_memory(l, mem, ptr, osize, nsize))
            return nullptr;
    } else {
        l->mem = mem;
    }
    return l->heap.realloc(ptr, osize, nsize);
}

// Directory holding the executable, with a trailing '/': the fallback root
// for the default paths, so a node started from elsewhere still finds lualib/.
const std::string &exe_root() {
    static const std::string root = [] {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n <= 0)
            return std::string("./");
        std::string path(buf, static_cast<size_t>(n));
        return path.substr(0, path.rfind('/') + 1);
    }();
    return root;
}

std::string optstring(skynet_context *ctx, const char *key, const std::string &def) {
    const char *v = skynet_command(ctx, "GETENV", key);
    return v ? std::string(v) : def;
}

// "./lualib/?.lua;..." plus the same patterns under the executable's root.
std::string default_path(const char *patterns) {
    std::string p = patterns;
    std::string out = p;
    size_t start = 0;
    while (start <= p.size()) {
        size_t end = p.find(';', start);
        std::string one =
            p.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (one.rfind("./", 0) == 0)
            out += ";" + exe_root() + one.substr(2);
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return out;
}

int traceback(lua_State *L) {
    if (const char *msg = lua_tostring(L, 1))
        luaL_traceback(L, L, msg, 1);
    else
        lua_pushliteral(L, "(no error message)");
    return 1;
}

void report_launcher_error(skynet_context *ctx) {
    // Unblocks the newservice caller with an error.
    skynet_sendname(ctx, 0, ".launcher", PTYPE_TEXT, 0, const_cast<char *>("ERROR"), 5);
}

void open_library(lua_State *L, const char *name, lua_CFunction open) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

// The libraries every service gets. math, io, os and bit open on first use
// (skynet_lua_lazy_libraries): an idle service saves their ~9 KiB. ffi is
// rarely used and costs memory, so it is only preloaded. jit must be opened:
// it is what switches the JIT on.
void open_libraries(lua_State *L) {
    open_library(L, "", luaopen_base);
    open_library(L, LUA_LOADLIBNAME, luaopen_package);
    open_library(L, LUA_TABLIBNAME, luaopen_table);
    open_library(L, LUA_STRLIBNAME, luaopen_string);
    open_library(L, LUA_DBLIBNAME, luaopen_debug);
    open_library(L, LUA_JITLIBNAME, luaopen_jit);
    skynet_lua_lazy_libraries(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_ffi);
    lua_setfield(L, -2, LUA_FFILIBNAME);
    lua_pop(L, 2);
}

// coroutine.resume/wrap are replaced by skynet.profile's versions, which
// account the CPU time of profiled coroutines.
void install_profile(lua_State *L) {
    lua_getglobal(L, "require");
    lua_pushstring(L, "skynet.profile");
    lua_call(L, 1, 1);
    lua_getglobal(L, "coroutine");
    lua_getfield(L, -2, "resume");
    lua_setfield(L, -2, "resume");
    lua_getfield(L, -2, "wrap");
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 2);
}

// registry["skynet.memgrace"](on): skynet.lua suspends the memlimit while it
// loads a part kept out of every service (exit, term, debug, query) and for
// good once skynet.exit starts: a service at its limit must still be able to
// report and die. What a grace added does not count against the limit later:
// the part is framework code the service would carry anyway upstream.
int memgrace(lua_State *L) {
    void *ud = nullptr;
    lua_getallocf(L, &ud);
    auto *l = static_cast<snlua *>(ud);
    if (lua_toboolean(L, 1)) {
        if (l->grace++ == 0)
            l->grace_base = l->mem;
    } else if (l->grace > 0 && --l->grace == 0) {
        if (l->mem > l->grace_base)
            l->grace_bytes += l->mem - l->grace_base;
        l->update_watch();
    }
    return 0;
}

void set_global(lua_State *L, const char *name, const std::string &value) {
    lua_pushlstring(L, value.data(), value.size());
    lua_setglobal(L, name);
}

// Everything that may raise runs here, under lua_cpcall: an error in a
// module's set-up must fail the service, not abort the process.
int prepare_state(lua_State *L) {
    auto *ctx = static_cast<skynet_context *>(lua_touserdata(L, 1));
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    open_libraries(L);
    skynet_lua_compat(L);
    lua_pushlightuserdata(L, ctx);
    lua_setfield(L, LUA_REGISTRYINDEX, "skynet_context");
    skynet_lua_preload(L);
    lua_pushcfunction(L, memgrace);
    lua_setfield(L, LUA_REGISTRYINDEX, "skynet.memgrace");
    skynet_codecache_install(L);
    skynet_lua54_install(L);
    install_profile(L);
    return 0;
}

int init_cb(snlua *l, skynet_context *ctx, const char *args, size_t sz) {
    lua_State *L = l->L;
    l->ctx = ctx;
    lua_gc(L, LUA_GCSTOP, 0);
    if (lua_cpcall(L, prepare_state, ctx) != 0) {
        skynet_error(ctx, "lua loader error : %s", lua_tostring(L, -1));
        report_launcher_error(ctx);
        return 1;
    }
    lua_settop(L, 0);

    set_global(L, "LUA_PATH",
               optstring(ctx, "lua_path", default_path("./lualib/?.lua;./lualib/?/init.lua")));
    set_global(L, "LUA_CPATH", optstring(ctx, "lua_cpath", "./luaclib/?.so"));
    set_global(L, "LUA_SERVICE", optstring(ctx, "luaservice", default_path("./service/?.lua")));
    if (const char *preload = skynet_command(ctx, "GETENV", "preload"))
        set_global(L, "LUA_PRELOAD", preload);

    lua_pushcfunction(L, traceback);
    std::string loader = optstring(ctx, "lualoader", "./lualib/loader.lua");
    if (access(loader.c_str(), R_OK) != 0 && loader == "./lualib/loader.lua")
        loader = exe_root() + "lualib/loader.lua";
    if (skynet_codecache_loadfile(L, loader.c_str()) != 0) {
        skynet_error(ctx, "Can't load %s : %s", loader.c_str(), lua_tostring(L, -1));
        report_launcher_error(ctx);
        return 1;
    }
    lua_pushlstring(L, args, sz);
    if (lua_pcall(L, 1, 0, 1) != 0) {
        skynet_error(ctx, "lua loader error : %s", lua_tostring(L, -1));
        report_launcher_error(ctx);
        return 1;
    }
    lua_settop(L, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, "memlimit");
    if (lua_type(L, -1) == LUA_TNUMBER) {
        size_t limit = static_cast<size_t>(lua_tonumber(L, -1));
        l->mem_limit = limit;
        l->update_watch();
        skynet_error(ctx, "Set memory limit to %.2f M", static_cast<double>(limit) / (1024 * 1024));
        lua_pushnil(L);
        lua_setfield(L, LUA_REGISTRYINDEX, "memlimit");
    }
    lua_pop(L, 1);
    lua_gc(L, LUA_GCRESTART, 0);
    return 0;
}

int launch_cb(skynet_context *context, void *ud, int type, int session, uint32_t source,
              const void *msg, size_t sz) {
    (void)type;
    (void)session;
    (void)source;
    auto *l = static_cast<snlua *>(ud);
    skynet_callback(context, nullptr, nullptr);
    if (init_cb(l, context, static_cast<const char *>(msg), sz) != 0) {
        skynet_launch_failed(skynet_context_handle(context));
        skynet_command(context, "EXIT", nullptr);
    }
    return 0;
}

void *snlua_create() {
    auto l = std::make_unique<snlua>();
    l->L = lua_newstate(lalloc, l.get());
    if (l->L == nullptr)
        return nullptr;
    return l.release();
}

int snlua_init(void *inst, skynet_context *ctx, const char *args) {
    auto *l = static_cast<snlua *>(inst);
    size_t sz = std::strlen(args);
    auto *tmp = static_cast<char *>(skynet_malloc(sz));
    std::memcpy(tmp, args, sz);
    skynet_callback(ctx, l, launch_cb);
    const char *self = skynet_command(ctx, "REG", nullptr);
    auto handle = static_cast<uint32_t>(std::strtoul(self + 1, nullptr, 16));
    // Run the service from its own first message, on a worker thread.
    skynet_send(ctx, 0, handle, PTYPE_TAG_DONTCOPY, 0, tmp, sz);
    return 0;
}

void snlua_release(void *inst) {
    std::unique_ptr<snlua> l(static_cast<snlua *>(inst));
    l->heap.begin_close();
    lua_close(l->L);
}

void signal_hook(lua_State *L, lua_Debug *) {
    lua_sethook(L, nullptr, 0, 0);
    luaL_error(L, "signal 0");
}

void snlua_signal(void *inst, int signal) {
    auto *l = static_cast<snlua *>(inst);
    skynet_error(l->ctx, "recv a signal %d", signal);
    if (signal == 0) {
        // Interrupts running Lua at its next instruction count (interpreted code only).
        lua_sethook(l->L, signal_hook, LUA_MASKCOUNT, 1);
    } else if (signal == 1) {
        skynet_error(l->ctx, "Current Memory %.3fK", static_cast<double>(l->mem) / 1024);
    }
}

} // namespace

extern const skynet_module snlua_module = {
    "snlua", nullptr, snlua_create, snlua_init, snlua_release, snlua_signal,
};

// Bytes the service's Lua state holds (skynet.memory.current).
size_t snlua_memory(void *inst) {
    return static_cast<snlua *>(inst)->mem;
}
