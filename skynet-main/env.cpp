#include "env.h"

#include "server.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace {

struct environment {
    std::shared_mutex lock;
    std::map<std::string, std::string, std::less<>> values;
};

environment &env() {
    static environment e;
    return e;
}

// skynet_getenv returns a C string that must stay valid: values are never
// replaced (setenv of an existing key is refused), so pointers into the map
// remain stable for the life of the process.
const char *lookup(std::string_view key) {
    auto &e = env();
    std::shared_lock guard(e.lock);
    auto it = e.values.find(key);
    return it == e.values.end() ? nullptr : it->second.c_str();
}

} // namespace

void skynet_env_init() {
    env();
}

std::optional<std::string> skynet_env_get(std::string_view key) {
    const char *v = lookup(key);
    if (!v)
        return std::nullopt;
    return std::string(v);
}

bool skynet_env_set(std::string_view key, std::string_view value) {
    auto &e = env();
    std::unique_lock guard(e.lock);
    return e.values.emplace(std::string(key), std::string(value)).second;
}

extern "C" const char *skynet_getenv(const char *key) {
    return lookup(key);
}

extern "C" void skynet_setenv(const char *key, const char *value) {
    if (!skynet_env_set(key, value)) {
        // Upstream asserts here; a service asking for it gets the error from Lua first.
        std::fprintf(stderr, "skynet_setenv: key %s already exists\n", key);
        std::abort();
    }
}

int skynet_env_optint(const char *key, int def) {
    if (const char *v = lookup(key))
        return static_cast<int>(std::strtol(v, nullptr, 10));
    skynet_env_set(key, std::to_string(def));
    return def;
}

bool skynet_env_optboolean(const char *key, bool def) {
    if (const char *v = lookup(key))
        return std::string_view(v) == "true";
    skynet_env_set(key, def ? "true" : "false");
    return def;
}

std::string skynet_env_optstring(const char *key, const char *def) {
    if (const char *v = lookup(key))
        return v;
    if (def) {
        skynet_env_set(key, def);
        return def;
    }
    return {};
}
