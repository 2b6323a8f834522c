// skynet_error and the per-service LOGON message log.
#ifndef SKYNET_LOG_H
#define SKYNET_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

// Log exactly `len` bytes of `s` (may hold NULs), as upstream's "%*s" use.
void skynet_error_string(struct skynet_context *ctx, const char *s, size_t len);

FILE *skynet_log_open(struct skynet_context *ctx, uint32_t handle);
void skynet_log_close(struct skynet_context *ctx, FILE *f, uint32_t handle);
void skynet_log_output(FILE *f, uint32_t source, int type, int session, void *buffer, size_t sz);

#endif
