// The service context: private to the runtime (server.cpp, command.cpp).
#ifndef SKYNET_CONTEXT_H
#define SKYNET_CONTEXT_H

#include "module.h"
#include "mq.h"
#include "server.h"

#include <atomic>
#include <cstdio>

// Laid out by who writes what: the first line is read on every dispatch and
// written rarely; the second is written by the worker running the service;
// `ref` is written by every sender (grab/release) and sits alone, so senders
// on other threads don't keep invalidating the lines the dispatcher reads.
struct skynet_context {
    void *instance = nullptr;
    const skynet_module *mod = nullptr;
    void *cb_ud = nullptr;
    skynet_cb cb = nullptr;
    message_queue *queue = nullptr;
    std::atomic<FILE *> logfile{nullptr};
    uint32_t handle = 0;
    bool init = false;
    bool profile = false;
    std::atomic<bool> endless{false};

    alignas(64) uint64_t cpu_cost = 0; // µs spent in callbacks
    uint64_t cpu_start = 0;            // µs, skynet_callback_clock() at callback start
    int message_count = 0;
    int session_id = 0;
    char result[32] = {};

    alignas(64) std::atomic<int> ref{2};
};

// Node-wide state shared by server.cpp and command.cpp.
struct skynet_node {
    std::atomic<int> total{0};
    std::atomic<uint32_t> monitor_exit{0};
    bool profile = true;
};

extern skynet_node G_NODE;

void skynet_context_exit_handle(skynet_context *ctx, uint32_t handle);
// Dispatch everything queued for ctx on the calling thread (bootstrap failure).
void skynet_context_dispatchall(skynet_context *ctx);
uint32_t skynet_tohandle(skynet_context *ctx, const char *param);

#endif
