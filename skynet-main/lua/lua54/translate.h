// Lua 5.4 source -> LuaJIT source. The operators LuaJIT lacks (// & | ~ << >>
// and unary ~) become calls to the runtime helpers (runtime.cpp), <const> is
// checked at translation time and <close> becomes a protected call around the
// rest of its block. Every token stays on its line, so errors, tracebacks and
// debug.getinfo point at the user's own lines.
#ifndef SKYNET_LUA54_TRANSLATE_H
#define SKYNET_LUA54_TRANSLATE_H

#include <string>
#include <string_view>

namespace lua54 {

// The local every translated chunk declares on its first line (no newline is
// added) and reaches the helpers through.
inline constexpr std::string_view helpers_local = "__L54";

enum class outcome {
    unchanged,  // no 5.4-only syntax: load the source as it is
    translated, // `code` holds the LuaJIT source
    error,      // `code` holds a Lua-style message: "chunk:line: what near 'token'"
};

// `chunkname` as given to load ("@file", "=name" or the source itself); it
// only shapes error messages. Binary chunks (ESC first) come back unchanged.
outcome translate(std::string_view source, std::string_view chunkname, std::string &code);

// Lua's luaO_chunkid: how a chunk name appears in messages.
std::string chunk_id(std::string_view chunkname);

} // namespace lua54

#endif
