#include "module.h"

#include "services.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>

namespace {

constexpr size_t MAX_MODULE_TYPE = 32;

struct modules {
    std::mutex lock;
    std::string path;
    std::deque<skynet_module> loaded; // deque: pointers stay valid as it grows
    std::deque<std::string> names;
};

modules *M = nullptr;

void *try_open(const char *name) {
    std::string_view path = M->path;
    std::string last_error;
    while (!path.empty()) {
        size_t sep = path.find(';');
        std::string_view pattern = path.substr(0, sep);
        path = sep == std::string_view::npos ? std::string_view() : path.substr(sep + 1);
        if (pattern.empty())
            continue;
        size_t q = pattern.find('?');
        if (q == std::string_view::npos) {
            std::fprintf(stderr, "Invalid C service path\n");
            std::exit(1);
        }
        std::string file =
            std::string(pattern.substr(0, q)) + name + std::string(pattern.substr(q + 1));
        if (void *dl = dlopen(file.c_str(), RTLD_NOW | RTLD_GLOBAL))
            return dl;
        last_error = dlerror();
    }
    std::fprintf(stderr, "try open %s failed : %s\n", name, last_error.c_str());
    return nullptr;
}

void *symbol(void *dl, const char *name, const char *suffix) {
    const char *base = std::strrchr(name, '.');
    std::string sym = std::string(base ? base + 1 : name) + suffix;
    return dlsym(dl, sym.c_str());
}

const skynet_module *find_loaded(const char *name) {
    for (const skynet_module &m : M->loaded)
        if (std::strcmp(m.name, name) == 0)
            return &m;
    return nullptr;
}

} // namespace

void skynet_module_init(const char *path) {
    static modules m;
    M = &m;
    M->path = path;
}

const skynet_module *skynet_module_query(const char *name) {
    for (const skynet_module *b = skynet_builtin_services; b->name; ++b)
        if (std::strcmp(b->name, name) == 0)
            return b;
    std::lock_guard guard(M->lock);
    if (const skynet_module *m = find_loaded(name))
        return m;
    if (M->loaded.size() >= MAX_MODULE_TYPE)
        return nullptr;
    void *dl = try_open(name);
    if (!dl)
        return nullptr;
    skynet_module mod{};
    M->names.emplace_back(name);
    mod.name = M->names.back().c_str();
    mod.module = dl;
    mod.create = reinterpret_cast<skynet_dl_create>(symbol(dl, name, "_create"));
    mod.init = reinterpret_cast<skynet_dl_init>(symbol(dl, name, "_init"));
    mod.release = reinterpret_cast<skynet_dl_release>(symbol(dl, name, "_release"));
    mod.signal = reinterpret_cast<skynet_dl_signal>(symbol(dl, name, "_signal"));
    if (!mod.init) {
        std::fprintf(stderr, "module %s has no %s_init\n", name, name);
        dlclose(dl);
        return nullptr;
    }
    M->loaded.push_back(mod);
    return &M->loaded.back();
}

void *skynet_module_instance_create(const skynet_module *m) {
    // Modules without create get a non-null dummy instance, as upstream.
    return m->create ? m->create() : reinterpret_cast<void *>(~uintptr_t(0));
}

int skynet_module_instance_init(const skynet_module *m, void *inst, skynet_context *ctx,
                                const char *parm) {
    return m->init(inst, ctx, parm);
}

void skynet_module_instance_release(const skynet_module *m, void *inst) {
    if (m->release)
        m->release(inst);
}

void skynet_module_instance_signal(const skynet_module *m, void *inst, int signal) {
    if (m->signal)
        m->signal(inst, signal);
}
