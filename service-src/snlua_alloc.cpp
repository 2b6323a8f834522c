#include "snlua_alloc.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/mman.h>

namespace snlua_alloc {

// Placed at the start of every page, so a block finds its page by masking
// its address. scratch serves reclaim().
struct page {
    page *next;
    uint32_t scratch;
    uint32_t pad;
};

namespace {

constexpr size_t HEADER = sizeof(page);
constexpr size_t PAGE_PAYLOAD = PAGE_SIZE - HEADER;
// Pages come from the system in regions of this size.
constexpr size_t REGION_SIZE = 4 * 1024 * 1024;
constexpr size_t OS_PAGE = 4096;
constexpr uint32_t EMPTY_PAGE = UINT32_MAX;

static_assert(PAGE_SIZE % OS_PAGE == 0 && REGION_SIZE % PAGE_SIZE == 0);
static_assert(HEADER % 8 == 0);

constexpr std::array<uint16_t, CLASSES> make_sizes() {
    std::array<uint16_t, CLASSES> s{};
    for (unsigned c = 0; c < CLASSES; ++c)
        s[c] = static_cast<uint16_t>(size_of_class(c));
    return s;
}

constexpr std::array<uint16_t, CLASSES> SIZES = make_sizes();

static_assert(class_of(257) == 32 && SIZES[32] == 288 && class_of(513) == 40);

page *page_of(void *p) {
    return reinterpret_cast<page *>(reinterpret_cast<uintptr_t>(p) & ~(PAGE_SIZE - 1));
}

struct page_pool {
    std::mutex lock;
    page *resident = nullptr; // memory still in place
    size_t nresident = 0;
    size_t low_water = 0; // fewest resident pages since epoch_start
    std::chrono::steady_clock::time_point epoch_start{};
    pool_limits limits;
    page *released = nullptr; // all but the header given back to the system
    size_t nreleased = 0;
    char *region_next = nullptr;
    char *region_end = nullptr;

    page *take_locked() {
        if (page *p = resident) {
            resident = p->next;
            if (--nresident < low_water)
                low_water = nresident;
            return p;
        }
        if (page *p = released) {
            released = p->next;
            --nreleased;
            return p;
        }
        if (region_next == region_end && !new_region())
            return nullptr;
        auto *p = reinterpret_cast<page *>(region_next);
        region_next += PAGE_SIZE;
        return p;
    }

    // A PAGE_SIZE-aligned region; its pages are touched only when used.
    bool new_region() {
        size_t len = REGION_SIZE + PAGE_SIZE;
        void *m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return false;
        auto base = reinterpret_cast<uintptr_t>(m);
        uintptr_t start = (base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        if (start > base)
            munmap(m, start - base);
        uintptr_t end = start + REGION_SIZE;
        if (base + len > end)
            munmap(reinterpret_cast<void *>(end), base + len - end);
        region_next = reinterpret_cast<char *>(start);
        region_end = reinterpret_cast<char *>(end);
        return true;
    }
};

page_pool &pool() {
    static page_pool p;
    return p;
}

page *pool_take() {
    auto &pp = pool();
    std::lock_guard guard(pp.lock);
    return pp.take_locked();
}

// How many resident pages to hand back to the system now: those above the
// cap, and those above the floor that no state has needed for a whole epoch
// (like jemalloc's decay, this runs only when the pool is used).
size_t excess_locked(page_pool &pp) {
    const pool_limits &lim = pp.limits;
    size_t excess = pp.nresident > lim.cap_pages ? pp.nresident - lim.cap_pages : 0;
    auto now = std::chrono::steady_clock::now();
    if (now - pp.epoch_start >= lim.epoch) {
        size_t idle = pp.low_water > lim.floor_pages ? pp.low_water - lim.floor_pages : 0;
        excess = std::max(excess, idle);
        pp.epoch_start = now;
        pp.low_water = pp.nresident - excess;
    }
    return excess;
}

// Hands a chain of pages back; the memory of those the pool should not keep
// is released outside the lock.
void pool_give(page *first) {
    auto &pp = pool();
    page *excess = nullptr;
    size_t n = 0;
    {
        std::lock_guard guard(pp.lock);
        while (first) {
            page *next = first->next;
            first->next = pp.resident;
            pp.resident = first;
            ++pp.nresident;
            first = next;
        }
        for (size_t k = excess_locked(pp); k > 0; --k, ++n) {
            page *p = pp.resident;
            pp.resident = p->next;
            p->next = excess;
            excess = p;
        }
        pp.nresident -= n;
    }
    if (excess == nullptr)
        return;
    page *last = excess;
    for (page *p = excess; p; p = p->next) {
        madvise(reinterpret_cast<char *>(p) + OS_PAGE, PAGE_SIZE - OS_PAGE, MADV_DONTNEED);
        last = p;
    }
    std::lock_guard guard(pp.lock);
    last->next = pp.released;
    pp.released = excess;
    pp.nreleased += n;
}

} // namespace

size_t pool_cached_pages() {
    auto &pp = pool();
    std::lock_guard guard(pp.lock);
    return pp.nresident;
}

void set_pool_limits(const pool_limits &limits) {
    auto &pp = pool();
    std::lock_guard guard(pp.lock);
    pp.limits = limits;
    pp.low_water = pp.nresident;
    pp.epoch_start = std::chrono::steady_clock::now();
}

size_t pool_released_pages() {
    auto &pp = pool();
    std::lock_guard guard(pp.lock);
    return pp.nreleased;
}

heap::~heap() {
    if (owned_)
        pool_give(owned_);
}

// The rest of the bump page goes to the free lists, in the largest classes
// that fit, so nothing of it is lost.
void heap::retire_bump_page() {
    size_t rest = static_cast<size_t>(bump_end_ - bump_);
    while (rest >= SIZES[0]) {
        unsigned c = class_of(rest < MAX_SMALL ? rest : MAX_SMALL);
        if (SIZES[c] > rest)
            --c;
        push_free(bump_, c);
        bump_ += SIZES[c];
        rest -= SIZES[c];
    }
    bump_ = bump_end_ = nullptr;
    bump_page_ = nullptr;
}

// Every class fits in an empty page.
bool heap::refill() {
    page *p = pool_take();
    if (p == nullptr)
        return false;
    if (bump_page_)
        retire_bump_page();
    p->next = owned_;
    owned_ = p;
    ++pages_;
    bump_page_ = p;
    bump_ = reinterpret_cast<char *>(p) + HEADER;
    bump_end_ = reinterpret_cast<char *>(p) + PAGE_SIZE;
    return true;
}

void heap::maybe_reclaim() {
    if (free_bytes_ * 2 < page_bytes()) {
        reclaim_at_ = page_bytes() / 2;
        return;
    }
    reclaim();
    reclaim_at_ = std::max(RECLAIM_MIN, 2 * free_bytes_);
}

// Gives back the pages whose every block is on a free list. Costs a walk of
// the free lists, so it runs only when they have grown large, and not again
// before they have doubled.
void heap::reclaim() {
    for (page *p = owned_; p; p = p->next)
        p->scratch = 0;
    for (unsigned c = 0; c < CLASSES; ++c)
        for (void *b = free_[c]; b; b = *static_cast<void **>(b))
            page_of(b)->scratch += SIZES[c];
    size_t empty = 0;
    for (page *p = owned_; p; p = p->next) {
        if (p != bump_page_ && p->scratch == PAGE_PAYLOAD) {
            p->scratch = EMPTY_PAGE;
            ++empty;
        }
    }
    if (empty > 0) {
        for (unsigned c = 0; c < CLASSES; ++c) {
            void **link = &free_[c];
            while (void *b = *link) {
                if (page_of(b)->scratch == EMPTY_PAGE) {
                    *link = *static_cast<void **>(b);
                    free_bytes_ -= SIZES[c];
                } else {
                    link = static_cast<void **>(b);
                }
            }
        }
        page *gone = nullptr;
        page **link = &owned_;
        while (page *p = *link) {
            if (p->scratch == EMPTY_PAGE) {
                *link = p->next;
                p->next = gone;
                gone = p;
            } else {
                link = &p->next;
            }
        }
        pages_ -= empty;
        pool_give(gone);
    }
}

void *heap::realloc_slow(void *ptr, size_t osize, size_t nsize) {
    if (ptr == nullptr)
        return nsize == 0 ? nullptr : std::malloc(nsize);
    if (nsize == 0) {
        std::free(ptr);
        return nullptr;
    }
    bool osmall = osize <= MAX_SMALL;
    bool nsmall = nsize <= MAX_SMALL;
    if (!osmall && !nsmall)
        return std::realloc(ptr, nsize);
    void *block = nsmall ? alloc_small(class_of(nsize)) : std::malloc(nsize);
    if (block == nullptr)
        return nullptr;
    std::memcpy(block, ptr, osize < nsize ? osize : nsize);
    if (osmall)
        free_small(ptr, class_of(osize));
    else
        std::free(ptr);
    return block;
}

} // namespace snlua_alloc
