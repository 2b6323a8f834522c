// The allocator behind each service's Lua state. Lua hands the old size to
// every free and realloc, so small blocks need no header: a block's size
// class follows from its size. Small blocks are carved from pages the state
// owns and recycled through per-class free lists; blocks above the largest
// class go to malloc. A state's pages return to a process-wide pool at once
// when the state is closed.
#ifndef SKYNET_SNLUA_ALLOC_H
#define SKYNET_SNLUA_ALLOC_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace snlua_alloc {

// Under AddressSanitizer every block comes from malloc, so that overruns of
// Lua userdata by C modules are still caught.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool SYSTEM_MALLOC = true;
#else
inline constexpr bool SYSTEM_MALLOC = false;
#endif

inline constexpr size_t PAGE_SIZE = 32 * 1024;
inline constexpr size_t MAX_SMALL = 1024;
inline constexpr unsigned CLASSES = 48;
// The free lists are searched for wholly free pages (to give back) only once
// they hold at least this much, and at least half of the heap's pages.
inline constexpr size_t RECLAIM_MIN = 1024 * 1024;

// 8-byte steps up to 256 (most Lua objects), then 32-byte steps up to 512
// and 64-byte steps up to 1024: at most 1/8 of a block is lost to rounding.
// n is 1..MAX_SMALL.
constexpr unsigned class_of(size_t n) {
    if (n <= 256)
        return static_cast<unsigned>((n + 7) / 8 - 1);
    if (n <= 512)
        return static_cast<unsigned>(32 + (n - 257) / 32);
    return static_cast<unsigned>(40 + (n - 513) / 64);
}

constexpr size_t size_of_class(unsigned c) {
    return c < 32 ? (c + 1) * 8 : c < 40 ? 256 + (c - 31) * 32 : 512 + (c - 39) * 64;
}

// The block size a request of n bytes (1 <= n <= MAX_SMALL) really gets.
constexpr size_t class_size(size_t n) {
    return size_of_class(class_of(n));
}

static_assert(class_size(MAX_SMALL) == MAX_SMALL && class_of(MAX_SMALL) == CLASSES - 1);

struct page;

class heap {
  public:
    heap() = default;
    ~heap();
    heap(const heap &) = delete;
    heap &operator=(const heap &) = delete;

    // The lua_Alloc contract: ptr == nullptr allocates, nsize == 0 frees,
    // otherwise resizes; nullptr on failure (the old block stays valid).
    void *realloc(void *ptr, size_t osize, size_t nsize) {
        if constexpr (SYSTEM_MALLOC) {
            if (nsize == 0) {
                std::free(ptr);
                return nullptr;
            }
            return std::realloc(ptr, nsize);
        }
        if (nsize - 1 < MAX_SMALL) {
            unsigned c = class_of(nsize);
            if (ptr == nullptr)
                return alloc_small(c);
            if (osize <= MAX_SMALL && class_of(osize) == c)
                return ptr;
        } else if (nsize == 0 && ptr != nullptr && osize <= MAX_SMALL) {
            free_small(ptr, class_of(osize));
            return nullptr;
        }
        return realloc_slow(ptr, osize, nsize);
    }

    // From here on small blocks are not recycled: lua_close frees every
    // object one by one, and the pages go back whole when the heap dies.
    void begin_close() { closing_ = true; }

    // Bytes of pages this heap holds, and of small blocks on its free lists.
    size_t page_bytes() const { return pages_ * PAGE_SIZE; }
    size_t free_bytes() const { return free_bytes_; }

  private:
    void *alloc_small(unsigned c) {
        if (void *p = free_[c]) {
            free_[c] = *static_cast<void **>(p);
            free_bytes_ -= size_of_class(c);
            return p;
        }
        size_t sz = size_of_class(c);
        if (static_cast<size_t>(bump_end_ - bump_) < sz && !refill())
            return nullptr;
        void *p = bump_;
        bump_ += sz;
        return p;
    }
    void free_small(void *p, unsigned c) {
        if (closing_)
            return;
        push_free(p, c);
        if (free_bytes_ >= reclaim_at_)
            maybe_reclaim();
    }
    void push_free(void *p, unsigned c) {
        *static_cast<void **>(p) = free_[c];
        free_[c] = p;
        free_bytes_ += size_of_class(c);
    }
    void *realloc_slow(void *ptr, size_t osize, size_t nsize);
    bool refill();
    void retire_bump_page();
    void maybe_reclaim();
    void reclaim();

    void *free_[CLASSES] = {};
    char *bump_ = nullptr;
    char *bump_end_ = nullptr;
    page *bump_page_ = nullptr;
    page *owned_ = nullptr;
    size_t pages_ = 0;
    size_t free_bytes_ = 0;
    size_t reclaim_at_ = RECLAIM_MIN;
    bool closing_ = false;
};

// Process-wide page pool figures (for tests): pages cached for reuse, and
// pages whose memory has been handed back to the system.
size_t pool_cached_pages();
size_t pool_released_pages();

// Free pages stay resident for the next states (a node that kills and
// starts services reuses them without page faults), up to cap_pages; above
// floor_pages, those unused for a whole epoch go back to the system.
struct pool_limits {
    size_t floor_pages = 1024; // 32 MiB
    size_t cap_pages = 16384;  // 512 MiB
    std::chrono::steady_clock::duration epoch = std::chrono::seconds(2);
};
void set_pool_limits(const pool_limits &limits); // for tests

} // namespace snlua_alloc

#endif
