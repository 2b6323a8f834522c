// skynet.multicast.core: the message packages multicastd fans out.
//
// A publisher wraps its packed message (msg, sz) into a package and sends
// multicastd only a pointer-sized box that holds the package's address
// (pack), so the payload itself is not copied into the call. multicastd
// opens the box (unpack), binds a reference count to the package (bind,
// which frees the box) and drops references (close); the last one frees
// the payload. remote hands the payload itself on (to another harbor).
// live() counts the packages alive in the process, for leak checks.
#include "modules.h"
#include "skynet_malloc.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

namespace {

struct mc_package {
    std::atomic<int> reference;
    uint32_t size;
    void *data;
};

using mc_box = mc_package *; // what travels in the message: sizeof(mc_box) bytes

std::atomic<long> live_packages{0};

int push_box(lua_State *L, void *data, size_t size) {
    void *mem = skynet_malloc(sizeof(mc_package));
    auto *pkg = new (mem) mc_package{{0}, static_cast<uint32_t>(size), data};
    live_packages.fetch_add(1, std::memory_order_relaxed);
    auto *box = static_cast<mc_box *>(skynet_malloc(sizeof(mc_box)));
    *box = pkg;
    lua_pushlightuserdata(L, box);
    lua_pushinteger(L, sizeof(mc_box));
    return 2;
}

void free_package(mc_package *pkg) {
    skynet_free(pkg->data);
    pkg->~mc_package();
    skynet_free(pkg);
    live_packages.fetch_sub(1, std::memory_order_relaxed);
}

size_t check_size(lua_State *L, int index) {
    lua_Integer sz = luaL_checkinteger(L, index);
    if (sz < 0 || static_cast<uint64_t>(sz) > UINT32_MAX)
        luaL_error(L, "Size should be 32bit integer");
    return static_cast<size_t>(sz);
}

mc_box *check_box(lua_State *L, int index) {
    auto *box = static_cast<mc_box *>(lua_touserdata(L, index));
    if (box == nullptr)
        luaL_error(L, "Invalid multicast package");
    return box;
}

// pack(msg, sz) -> box, sizeof(box): the package owns msg.
int lpack(lua_State *L) {
    void *data = lua_touserdata(L, 1);
    return push_box(L, data, check_size(L, 2));
}

// packremote(msg, sz) -> box, sizeof(box): a copy of msg (the caller keeps it).
int lpackremote(lua_State *L) {
    const void *data = lua_touserdata(L, 1);
    size_t size = check_size(L, 2);
    void *copy = skynet_malloc(size);
    if (size > 0)
        std::memcpy(copy, data, size);
    return push_box(L, copy, size);
}

// unpack(box, sizeof(box)) -> package, msg, sz
int lunpack(lua_State *L) {
    mc_box *box = check_box(L, 1);
    lua_Integer sz = luaL_checkinteger(L, 2);
    if (sz != static_cast<lua_Integer>(sizeof(mc_box)))
        return luaL_error(L, "Invalid multicast package size %d", static_cast<int>(sz));
    mc_package *pkg = *box;
    lua_pushlightuserdata(L, pkg);
    lua_pushlightuserdata(L, pkg->data);
    lua_pushinteger(L, pkg->size);
    return 3;
}

// bind(box, references) -> package; frees the box.
int lbind(lua_State *L) {
    mc_box *box = check_box(L, 1);
    int ref = static_cast<int>(luaL_checkinteger(L, 2));
    mc_package *pkg = *box;
    int expected = 0;
    if (!pkg->reference.compare_exchange_strong(expected, ref))
        return luaL_error(L, "Can't bind a multicast package more than once");
    skynet_free(box);
    lua_pushlightuserdata(L, pkg);
    return 1;
}

// close(package): drops one reference; the last frees the payload.
int lclose(lua_State *L) {
    auto *pkg = static_cast<mc_package *>(lua_touserdata(L, 1));
    if (pkg == nullptr)
        return luaL_error(L, "Invalid multicast package");
    int ref = pkg->reference.fetch_sub(1) - 1;
    if (ref <= 0) {
        free_package(pkg);
        if (ref < 0)
            return luaL_error(L, "Invalid multicast package reference %d", ref);
    }
    return 0;
}

// remote(box) -> msg, sz: the payload passes to the caller; box and package
// are freed.
int lremote(lua_State *L) {
    mc_box *box = check_box(L, 1);
    mc_package *pkg = *box;
    lua_pushlightuserdata(L, pkg->data);
    lua_pushinteger(L, pkg->size);
    pkg->data = nullptr;
    free_package(pkg);
    skynet_free(box);
    return 2;
}

// nextid(id) -> the next channel id of the same harbor (low 8 bits kept;
// the top bit is cleared so ids stay positive 32-bit integers).
int lnextid(lua_State *L) {
    auto id = static_cast<uint32_t>(luaL_checknumber(L, 1));
    id += 256;
    lua_pushinteger(L, id & 0x7fffffffu);
    return 1;
}

int llive(lua_State *L) {
    lua_pushinteger(L, live_packages.load(std::memory_order_relaxed));
    return 1;
}

} // namespace

extern "C" int luaopen_skynet_multicast_core(lua_State *L) {
    const luaL_Reg l[] = {
        {"pack", lpack},     {"unpack", lunpack}, {"bind", lbind},
        {"close", lclose},   {"remote", lremote}, {"packremote", lpackremote},
        {"nextid", lnextid}, {"live", llive},     {nullptr, nullptr},
    };
    luaL_newlib(L, l);
    return 1;
}
