#include "pack.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace sproto {

namespace {

constexpr size_t group = 8;
constexpr size_t max_run = 256;

// A run of raw groups waiting for its length: it starts at `first` in the
// input and is written when it ends.
struct Run {
    size_t first = 0;
    size_t groups = 0;
};

void flush(const Run &run, std::span<const uint8_t> src, std::vector<uint8_t> &out) {
    out.push_back(0xff);
    out.push_back(static_cast<uint8_t>(run.groups - 1));
    size_t at = out.size();
    size_t n = run.groups * group;
    out.resize(at + n, 0); // zeros stand in for the bytes past the end
    size_t have = std::min(n, src.size() - run.first);
    std::memcpy(out.data() + at, src.data() + run.first, have);
}

} // namespace

void pack(std::span<const uint8_t> src, std::vector<uint8_t> &out) {
    out.clear();
    out.reserve(src.size() + src.size() / 2048 * 2 + 16);
    Run run;
    for (size_t i = 0; i < src.size(); i += group) {
        std::array<uint8_t, group> g{};
        std::memcpy(g.data(), src.data() + i, std::min(group, src.size() - i));
        uint8_t bitmap = 0;
        int nonzero = 0;
        for (size_t b = 0; b < group; ++b) {
            if (g[b]) {
                bitmap |= static_cast<uint8_t>(1u << b);
                ++nonzero;
            }
        }
        // Inside a run a group with one or two zeros is cheaper kept raw.
        bool raw = nonzero == 8 || (run.groups > 0 && nonzero >= 6);
        if (raw) {
            if (run.groups == 0)
                run.first = i;
            if (++run.groups == max_run) {
                flush(run, src, out);
                run.groups = 0;
            }
            continue;
        }
        if (run.groups > 0) {
            flush(run, src, out);
            run.groups = 0;
        }
        out.push_back(bitmap);
        for (uint8_t b : g)
            if (b)
                out.push_back(b);
    }
    if (run.groups > 0)
        flush(run, src, out);
}

bool unpack(std::span<const uint8_t> src, std::vector<uint8_t> &out) {
    out.clear();
    out.reserve(src.size() * 2);
    size_t i = 0;
    while (i < src.size()) {
        uint8_t bitmap = src[i++];
        if (bitmap == 0xff) {
            if (i >= src.size())
                return false;
            size_t n = (size_t(src[i]) + 1) * group;
            ++i;
            if (src.size() - i < n)
                return false;
            out.insert(out.end(), src.begin() + i, src.begin() + i + n);
            i += n;
            continue;
        }
        for (size_t b = 0; b < group; ++b) {
            if (bitmap & (1u << b)) {
                if (i >= src.size())
                    return false;
                out.push_back(src[i++]);
            } else {
                out.push_back(0);
            }
        }
    }
    return true;
}

} // namespace sproto
