// Allocation family for every buffer that crosses a message or socket boundary.
// Without jemalloc these are the libc functions; keeping the names lets external
// C services written for skynet compile unchanged.
#ifndef SKYNET_MALLOC_H
#define SKYNET_MALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *skynet_malloc(size_t sz);
void *skynet_calloc(size_t nmemb, size_t size);
void *skynet_realloc(void *ptr, size_t size);
void skynet_free(void *ptr);
char *skynet_strdup(const char *str);
void *skynet_lalloc(void *ptr, size_t osize, size_t nsize);
void *skynet_memalign(size_t alignment, size_t size);
void *skynet_aligned_alloc(size_t alignment, size_t size);
int skynet_posix_memalign(void **memptr, size_t alignment, size_t size);

#ifdef __cplusplus
}
#endif

#endif
