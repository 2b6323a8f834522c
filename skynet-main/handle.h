// Handle storage: service handles (harbor id in the top byte) and local names.
#ifndef SKYNET_HANDLE_H
#define SKYNET_HANDLE_H

#include <stdint.h>

struct skynet_context;

#define HANDLE_MASK 0xffffff
#define HANDLE_REMOTE_SHIFT 24

void skynet_handle_init(int harbor);
uint32_t skynet_handle_register(struct skynet_context *);
void skynet_handle_retireall();
void skynet_handle_retireall_except(uint32_t keep);

#endif
