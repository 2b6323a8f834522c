// libFuzzer target: the Lua 5.4 translator on arbitrary source (debug console
// inject and load() hand it text from outside). It must answer unchanged,
// translated or a syntax error; a translation must keep the line count, and a
// chunk without 5.4 syntax must come back unchanged. A crash, sanitizer report
// or broken invariant is a finding.
#include "lua54/translate.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view src(reinterpret_cast<const char *>(data), size);
    std::string code;
    if (lua54::translate(src, "=fuzz", code) != lua54::outcome::translated)
        return 0;
    auto lines = [](std::string_view s) { return std::count(s.begin(), s.end(), '\n'); };
    if (lines(code) != lines(src))
        std::abort();
    // The output is LuaJIT source: translating it again changes nothing.
    std::string again;
    if (lua54::translate(code, "=fuzz", again) == lua54::outcome::translated)
        std::abort();
    return 0;
}
