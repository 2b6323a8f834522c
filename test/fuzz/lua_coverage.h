// Coverage feedback for fuzz targets whose decoder is Lua: LuaJIT's
// interpreter is not instrumented, so a line hook bumps one libFuzzer extra
// counter per (previous line, line) pair executed. Include once per target.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace lua_coverage {

constexpr size_t kCounters = 1 << 16;
__attribute__((used, section("__libfuzzer_extra_counters"))) inline uint8_t counters[kCounters];
inline size_t previous = 0;

inline void line_hook(lua_State *L, lua_Debug *ar) {
    if (lua_getinfo(L, "S", ar) == 0)
        return;
    size_t here = std::hash<const void *>{}(ar->source) * 31 + static_cast<size_t>(ar->currentline);
    here *= 0x9E3779B97F4A7C15ull;
    size_t edge = (here ^ (previous >> 1)) % kCounters;
    previous = here;
    if (counters[edge] < 255)
        ++counters[edge];
}

// Hooks L (run `jit.off()` in it too: compiled traces skip hooks).
inline void attach(lua_State *L) {
    lua_sethook(L, line_hook, LUA_MASKLINE, 0);
}

// Call at the start of each input, so edges do not span inputs.
inline void next_input() {
    previous = 0;
}

} // namespace lua_coverage
