// Loading a config file into the environment, with upstream's semantics.
#ifndef SKYNET_CONFIG_H
#define SKYNET_CONFIG_H

#include <string>

// Evaluate `path` (Lua syntax, `include`, `$NAME`) and store every key in the
// env as a string. Returns false and fills `err` on any failure.
bool skynet_config_load(const char *path, std::string &err);

#endif
