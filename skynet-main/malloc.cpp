// Without jemalloc the skynet allocation family is libc's. Kept as real
// functions (not macros) so external .so services link against them.
#include "skynet_malloc.h"

#include <cstdlib>
#include <cstring>

#include <malloc.h>

namespace {

// glibc's defaults hand memory back to the kernel as soon as 128 KiB lie
// free at the top of an arena, and map blocks from 128 KiB up afresh. Socket
// buffers are allocated on one thread and freed on another, so under a busy
// stream most bytes landed in newly faulted, zeroed pages. Keep freed memory
// for reuse, as jemalloc (upstream's allocator) does.
[[gnu::constructor]] void keep_freed_memory() {
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

} // namespace

extern "C" {

void *skynet_malloc(size_t sz) {
    return std::malloc(sz);
}
void *skynet_calloc(size_t nmemb, size_t size) {
    return std::calloc(nmemb, size);
}
void *skynet_realloc(void *ptr, size_t size) {
    return std::realloc(ptr, size);
}
void skynet_free(void *ptr) {
    std::free(ptr);
}

char *skynet_strdup(const char *str) {
    size_t sz = std::strlen(str);
    auto *ret = static_cast<char *>(skynet_malloc(sz + 1));
    std::memcpy(ret, str, sz + 1);
    return ret;
}

void *skynet_lalloc(void *ptr, size_t, size_t nsize) {
    if (nsize == 0) {
        std::free(ptr);
        return nullptr;
    }
    return std::realloc(ptr, nsize);
}

void *skynet_memalign(size_t alignment, size_t size) {
    return std::aligned_alloc(alignment, size);
}
void *skynet_aligned_alloc(size_t alignment, size_t size) {
    return std::aligned_alloc(alignment, size);
}
int skynet_posix_memalign(void **memptr, size_t alignment, size_t size) {
    return posix_memalign(memptr, alignment, size);
}

void skynet_debug_memory(const char *) {}
}
