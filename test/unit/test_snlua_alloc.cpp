// The per-state allocator of snlua (service-src/snlua_alloc.h): size classes,
// block contents across resizes, pages given back, and a Lua state on it.
#include "snlua_alloc.h"

#include <catch2/catch.hpp>

#include <lua.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <vector>

using snlua_alloc::heap;

namespace {

struct block {
    unsigned char *p;
    size_t size;
    unsigned char fill;
};

bool intact(const block &b) {
    for (size_t i = 0; i < b.size; ++i)
        if (b.p[i] != b.fill)
            return false;
    return true;
}

void *heap_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    return static_cast<heap *>(ud)->realloc(ptr, osize, nsize);
}

} // namespace

TEST_CASE("size classes round up by at most an eighth", "[snlua_alloc]") {
    size_t previous = 0;
    for (size_t n = 1; n <= snlua_alloc::MAX_SMALL; ++n) {
        size_t c = snlua_alloc::class_size(n);
        CHECK(c >= n);
        CHECK(c % 8 == 0);
        CHECK(c - n < (n < 64 ? 8 : n / 8 + 1));
        CHECK(c >= previous);
        previous = c;
    }
    CHECK(snlua_alloc::class_of(snlua_alloc::MAX_SMALL) == snlua_alloc::CLASSES - 1);
}

TEST_CASE("blocks keep their contents and never overlap", "[snlua_alloc]") {
    heap h;
    std::mt19937 rng(12345);
    std::vector<block> live;
    auto random_size = [&] {
        switch (rng() % 8) {
        case 0:
            return size_t(1 + rng() % 4096); // some large blocks
        case 1:
            return size_t(1 + rng() % 1024);
        default:
            return size_t(1 + rng() % 200);
        }
    };
    for (int step = 0; step < 60000; ++step) {
        unsigned op = rng() % 10;
        if (live.empty() || op < 5) {
            size_t sz = random_size();
            auto *p = static_cast<unsigned char *>(h.realloc(nullptr, 0, sz));
            REQUIRE(p != nullptr);
            auto fill = static_cast<unsigned char>(rng());
            std::memset(p, fill, sz);
            live.push_back({p, sz, fill});
        } else if (op < 8) {
            size_t i = rng() % live.size();
            block &b = live[i];
            REQUIRE(intact(b));
            size_t sz = random_size();
            auto *p = static_cast<unsigned char *>(h.realloc(b.p, b.size, sz));
            REQUIRE(p != nullptr);
            for (size_t k = 0; k < std::min(sz, b.size); ++k)
                REQUIRE(p[k] == b.fill);
            std::memset(p, b.fill, sz);
            b.p = p;
            b.size = sz;
        } else {
            size_t i = rng() % live.size();
            REQUIRE(intact(live[i]));
            CHECK(h.realloc(live[i].p, live[i].size, 0) == nullptr);
            live[i] = live.back();
            live.pop_back();
        }
    }
    // No two live blocks share a byte.
    std::set<std::pair<uintptr_t, uintptr_t>> spans;
    for (const block &b : live) {
        REQUIRE(intact(b));
        spans.insert({reinterpret_cast<uintptr_t>(b.p), reinterpret_cast<uintptr_t>(b.p) + b.size});
    }
    uintptr_t end = 0;
    for (auto [from, to] : spans) {
        CHECK(from >= end);
        end = to;
    }
    for (const block &b : live)
        h.realloc(b.p, b.size, 0);
}

TEST_CASE("small blocks are 8-byte aligned and recycled by class", "[snlua_alloc]") {
    if (snlua_alloc::SYSTEM_MALLOC)
        return; // pages are not ours under ASan
    heap h;
    void *a = h.realloc(nullptr, 0, 20);
    CHECK(reinterpret_cast<uintptr_t>(a) % 8 == 0);
    // Same class: resized in place.
    CHECK(h.realloc(a, 20, 24) == a);
    h.realloc(a, 24, 0);
    CHECK(h.free_bytes() == 24);
    // The freed block serves the next request of its class.
    CHECK(h.realloc(nullptr, 0, 17) == a);
    CHECK(h.free_bytes() == 0);
    h.realloc(a, 17, 0);
}

TEST_CASE("pages whose blocks are all free go back", "[snlua_alloc]") {
    if (snlua_alloc::SYSTEM_MALLOC)
        return; // pages are not ours under ASan
    heap h;
    std::vector<void *> blocks;
    for (int i = 0; i < 200000; ++i) // ~6 MiB of 32-byte blocks
        blocks.push_back(h.realloc(nullptr, 0, 32));
    size_t peak = h.page_bytes();
    CHECK(peak >= 200000 * 32);
    // Keep one block in ten pages: most pages end up wholly free.
    for (size_t i = 0; i < blocks.size(); ++i)
        if (i % 10000 != 0)
            h.realloc(blocks[i], 32, 0);
    CHECK(h.page_bytes() < peak / 2);
    // The survivors are untouched and still usable.
    for (size_t i = 0; i < blocks.size(); i += 10000) {
        std::memset(blocks[i], 0x5a, 32);
        h.realloc(blocks[i], 32, 0);
    }
}

TEST_CASE("a closing heap ignores small frees and returns its pages", "[snlua_alloc]") {
    if (snlua_alloc::SYSTEM_MALLOC)
        return; // pages are not ours under ASan
    size_t pages = 0;
    {
        heap h;
        for (int i = 0; i < 5000; ++i)
            h.realloc(nullptr, 0, 64);
        void *big = h.realloc(nullptr, 0, 100000);
        pages = h.page_bytes() / snlua_alloc::PAGE_SIZE;
        h.begin_close();
        void *b = h.realloc(nullptr, 0, 64);
        REQUIRE(b != nullptr);
        size_t before = h.free_bytes();
        h.realloc(b, 64, 0);
        CHECK(h.free_bytes() == before);
        h.realloc(big, 100000, 0); // large blocks are still freed
    }
    CHECK(pages > 0);
    CHECK(snlua_alloc::pool_cached_pages() >= 1);
}

namespace {

// A heap holding about n pages, destroyed on scope exit.
size_t fill_pages(heap &h, size_t n) {
    for (size_t i = 0; i < n * 31; ++i) {
        auto *p = static_cast<char *>(h.realloc(nullptr, 0, 1000));
        REQUIRE(p != nullptr);
        p[0] = p[999] = 1;
    }
    return h.page_bytes() / snlua_alloc::PAGE_SIZE;
}

} // namespace

TEST_CASE("the pool keeps at most cap_pages resident", "[snlua_alloc]") {
    if (snlua_alloc::SYSTEM_MALLOC)
        return; // pages are not ours under ASan
    snlua_alloc::set_pool_limits({0, 64, std::chrono::hours(1)});
    size_t released = snlua_alloc::pool_released_pages();
    {
        heap h;
        CHECK(fill_pages(h, 100) >= 100);
        h.begin_close();
    }
    CHECK(snlua_alloc::pool_cached_pages() <= 64);
    CHECK(snlua_alloc::pool_released_pages() > released);
    {
        heap h; // released pages are reusable
        CHECK(fill_pages(h, 200) >= 200);
        h.begin_close();
    }
    snlua_alloc::set_pool_limits({});
}

TEST_CASE("pages no state needed for an epoch go back to the system", "[snlua_alloc]") {
    if (snlua_alloc::SYSTEM_MALLOC)
        return; // pages are not ours under ASan
    {
        heap h; // make sure the pool holds a good number of pages
        fill_pages(h, 100);
        h.begin_close();
    }
    // Every pool use ends an epoch; nothing is kept below the floor of 0.
    snlua_alloc::set_pool_limits({0, 1000000, std::chrono::steady_clock::duration::zero()});
    size_t idle = snlua_alloc::pool_cached_pages();
    REQUIRE(idle >= 100);
    size_t released = snlua_alloc::pool_released_pages();
    size_t used = 0;
    {
        heap h;
        used = fill_pages(h, 10);
        h.begin_close();
    }
    // The pages h took and gave back stay; the ones nobody took are released.
    CHECK(snlua_alloc::pool_cached_pages() <= used);
    CHECK(snlua_alloc::pool_released_pages() >= released + (idle - used));
    snlua_alloc::set_pool_limits({});
}

TEST_CASE("a Lua state runs on the heap", "[snlua_alloc]") {
    heap h;
    lua_State *L = lua_newstate(heap_alloc, &h);
    REQUIRE(L != nullptr);
    luaL_openlibs(L);
    const char *code = R"(
        local t = {}
        for i = 1, 20000 do t[i] = { i, tostring(i) .. "x" } end
        for round = 1, 3 do
            local s = {}
            for i = 1, 5000 do s[#s + 1] = string.rep("ab", i % 300) end
            assert(#table.concat(s) > 0)
        end
        t = nil
        collectgarbage()
        local u = {}
        for i = 1, 1000 do u[i] = i * 2 end
        assert(u[1000] == 2000)
        return collectgarbage "count"
    )";
    REQUIRE(luaL_dostring(L, code) == 0);
    CHECK(lua_tonumber(L, -1) > 0);
    h.begin_close();
    lua_close(L);
}
