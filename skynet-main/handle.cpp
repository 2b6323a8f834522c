#include "handle.h"

#include "server.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace {

struct name_entry {
    std::string name;
    uint32_t handle;
};

struct handle_storage {
    std::shared_mutex lock;
    uint32_t harbor = 0;
    uint32_t handle_index = 1;
    std::vector<skynet_context *> slot = std::vector<skynet_context *>(4, nullptr);
    std::vector<name_entry> names; // sorted by name
};

handle_storage *H = nullptr;

std::vector<name_entry>::iterator find_name(std::string_view name) {
    return std::lower_bound(H->names.begin(), H->names.end(), name,
                            [](const name_entry &e, std::string_view n) { return e.name < n; });
}

} // namespace

void skynet_handle_init(int harbor) {
    static handle_storage storage;
    H = &storage;
    H->harbor = static_cast<uint32_t>(harbor & 0xff) << HANDLE_REMOTE_SHIFT;
}

uint32_t skynet_handle_register(skynet_context *ctx) {
    std::unique_lock guard(H->lock);
    for (;;) {
        uint32_t size = static_cast<uint32_t>(H->slot.size());
        uint32_t handle = H->handle_index;
        for (uint32_t i = 0; i < size; i++, handle++) {
            if (handle > HANDLE_MASK)
                handle = 1; // 0 is reserved
            uint32_t hash = handle & (size - 1);
            if (H->slot[hash] == nullptr) {
                H->slot[hash] = ctx;
                H->handle_index = handle + 1;
                return handle | H->harbor;
            }
        }
        // Table full: double it and rehash by the low bits of each handle.
        std::vector<skynet_context *> bigger(size * 2, nullptr);
        for (skynet_context *c : H->slot) {
            uint32_t h = skynet_context_handle(c) & HANDLE_MASK;
            bigger[h & (size * 2 - 1)] = c;
        }
        H->slot.swap(bigger);
    }
}

extern "C" int skynet_handle_retire(uint32_t handle) {
    skynet_context *ctx = nullptr;
    {
        std::unique_lock guard(H->lock);
        uint32_t hash = handle & (H->slot.size() - 1);
        skynet_context *c = H->slot[hash];
        if (c && skynet_context_handle(c) == handle) {
            H->slot[hash] = nullptr;
            ctx = c;
            std::erase_if(H->names, [handle](const name_entry &e) { return e.handle == handle; });
        }
    }
    // Release outside the lock: freeing a context may retire/grab other handles.
    if (ctx)
        skynet_context_release(ctx);
    return ctx != nullptr;
}

void skynet_handle_retireall() {
    skynet_handle_retireall_except(0);
}

void skynet_handle_retireall_except(uint32_t keep) {
    for (;;) {
        std::vector<uint32_t> live;
        {
            std::shared_lock guard(H->lock);
            for (skynet_context *c : H->slot)
                if (c && skynet_context_handle(c) != keep)
                    live.push_back(skynet_context_handle(c));
        }
        if (live.empty())
            return;
        for (uint32_t h : live)
            skynet_handle_retire(h);
    }
}

extern "C" skynet_context *skynet_handle_grab(uint32_t handle) {
    std::shared_lock guard(H->lock);
    skynet_context *c = H->slot[handle & (H->slot.size() - 1)];
    if (c && skynet_context_handle(c) == handle) {
        skynet_context_grab(c);
        return c;
    }
    return nullptr;
}

extern "C" uint32_t skynet_handle_findname(const char *name) {
    std::shared_lock guard(H->lock);
    auto it = find_name(name);
    return it != H->names.end() && it->name == name ? it->handle : 0;
}

// Bind a local name; an existing name is never replaced (returns NULL).
extern "C" const char *skynet_handle_namehandle(uint32_t handle, const char *name) {
    std::unique_lock guard(H->lock);
    auto it = find_name(name);
    if (it != H->names.end() && it->name == name)
        return nullptr;
    H->names.insert(it, name_entry{name, handle});
    // The stored string may move when the vector grows; the caller's copy is stable.
    return name;
}
