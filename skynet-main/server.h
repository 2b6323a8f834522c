// Service contexts and message delivery: the internal API the runtime,
// built-in services and the socket thread share. The exported part (C
// linkage) is what upstream exposes to C services too.
#ifndef SKYNET_SERVER_H
#define SKYNET_SERVER_H

#include "skynet.h"

#include <stddef.h>
#include <stdint.h>

// One queued message. The PTYPE lives in the top byte of `sz`.
struct skynet_message {
    uint32_t source;
    int session;
    void *data;
    size_t sz;
};

#define MESSAGE_TYPE_MASK (SIZE_MAX >> 8)
#define MESSAGE_TYPE_SHIFT ((sizeof(size_t) - 1) * 8)

// Handle ids of the runtime's own threads, as skynet_current_handle() reports them.
#define THREAD_WORKER 0
#define THREAD_MAIN 1
#define THREAD_SOCKET 2
#define THREAD_TIMER 3
#define THREAD_MONITOR 4

struct message_queue;

#ifdef __cplusplus
extern "C" {
#endif

struct skynet_context *skynet_context_new(const char *name, const char *parm);
void skynet_context_grab(struct skynet_context *);
void skynet_context_reserve(struct skynet_context *ctx);
struct skynet_context *skynet_context_release(struct skynet_context *);
uint32_t skynet_context_handle(struct skynet_context *);
int skynet_context_push(uint32_t handle, struct skynet_message *message);
void skynet_context_send(struct skynet_context *context, void *msg, size_t sz, uint32_t source,
                         int type, int session);
int skynet_context_newsession(struct skynet_context *);
int skynet_context_total(void);
void skynet_context_endless(uint32_t handle);

uint32_t skynet_handle_findname(const char *name);
const char *skynet_handle_namehandle(uint32_t handle, const char *name);
struct skynet_context *skynet_handle_grab(uint32_t handle);
int skynet_handle_retire(uint32_t handle);

const char *skynet_getenv(const char *key);
void skynet_setenv(const char *key, const char *value);

int skynet_timeout(uint32_t handle, int time, int session);
uint32_t skynet_starttime(void);
uint64_t skynet_thread_time(void); // µs of CPU used by the calling thread

#ifdef __cplusplus
}
#endif

// µs on the monotonic clock. Callback time is accounted with it rather than
// the thread CPU clock: a callback never blocks, so the two agree, and the
// monotonic clock is read in user space (vDSO) while the thread CPU clock
// costs a system call on every message.
uint64_t skynet_callback_clock();

// Scheduler and per-thread state (C++ only).
struct message_queue *skynet_context_message_dispatch(struct message_queue *q, int weight);
void skynet_initthread(int m);
void skynet_globalinit();
void skynet_globalexit();
void skynet_profile_enable(int enable);
// A service failed in its launch: if it is the bootstrap, the node stops with exit code 1.
void skynet_launch_failed(uint32_t handle);
// Wake one sleeping worker when at most `busy` workers are running.
void skynet_wakeup(int busy);

#endif
