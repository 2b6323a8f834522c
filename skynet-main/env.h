// Process-wide string environment (config keys and skynet.setenv values).
#ifndef SKYNET_ENV_H
#define SKYNET_ENV_H

#include <optional>
#include <string>
#include <string_view>

void skynet_env_init();
// Value of key, or nullopt. Thread-safe.
std::optional<std::string> skynet_env_get(std::string_view key);
// Set a key that must not exist yet; returns false if it exists (upstream asserts).
bool skynet_env_set(std::string_view key, std::string_view value);

// Helpers for the runtime: read a key, writing `def` back when absent.
int skynet_env_optint(const char *key, int def);
bool skynet_env_optboolean(const char *key, bool def);
std::string skynet_env_optstring(const char *key, const char *def);

#endif
