// skynet_error and the per-service LOGON message log.
#ifndef SKYNET_LOG_H
#define SKYNET_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

// Log exactly `len` bytes of `s` (may hold NULs), as upstream's "%*s" use.
void skynet_error_string(struct skynet_context *ctx, const char *s, size_t len);

// The bound on what the logger holds (set by the built-in logger from
// `logbuffer`; 0: none). Past it lines are dropped and counted.
void skynet_log_limit(size_t bytes);
// The logger wrote a line of `sz` bytes: it no longer counts against the bound.
void skynet_log_consumed(size_t sz);
// Lines dropped since the last call.
size_t skynet_log_take_dropped(void);

// The node stopped and its drain time is over: the logger counts the lines
// still queued instead of writing them, then writes one line with the count.
void skynet_log_stop_writing(void);
int skynet_log_writing(void);

FILE *skynet_log_open(struct skynet_context *ctx, uint32_t handle);
void skynet_log_close(struct skynet_context *ctx, FILE *f, uint32_t handle);
void skynet_log_output(FILE *f, uint32_t source, int type, int session, void *buffer, size_t sz);

#endif
