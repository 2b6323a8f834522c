#include "shutdown.h"

#include "context.h"
#include "handle.h"
#include "log.h"
#include "mq.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

std::atomic<stop_reason> requested{stop_reason::none};
uint64_t drain_cs = 500; // centiseconds
std::string bootstrap_line;

// Owned by the timer thread.
struct stop_sequence {
    enum class phase { retire_services, drain, final_line, done };
    phase at = phase::retire_services;
    uint64_t deadline = 0;
    int backlog = 0; // final_line: the logger's backlog when it last shrank
};
stop_sequence seq;

uint32_t logger_handle() {
    return skynet_handle_findname("logger");
}

void log_reason(stop_reason why) {
    switch (why) {
    case stop_reason::signal:
        skynet_error(nullptr, "Shutdown requested by signal");
        break;
    case stop_reason::abort:
        skynet_error(nullptr, "Shutdown requested by abort");
        break;
    case stop_reason::last_service:
        skynet_error(nullptr, "Shutdown: no service left but the logger");
        break;
    case stop_reason::bootstrap_error:
        skynet_error(nullptr, "Bootstrap error : %s", bootstrap_line.c_str());
        break;
    case stop_reason::none:
        break;
    }
}

// Where the logger's backlog stands: -1 when the logger is gone.
int logger_backlog(uint32_t logger) {
    skynet_context *ctx = logger ? skynet_handle_grab(logger) : nullptr;
    if (ctx == nullptr)
        return -1;
    int n = skynet_mq_length(ctx->queue);
    skynet_context_release(ctx);
    return n;
}

// The built-in logger counts what is left and writes that count as its last
// line; another log service gets what it has, and the rest is counted here.
void give_up_draining() {
    skynet_log_stop_writing();
}

void report_lost(int backlog) {
    if (backlog > 0)
        std::fprintf(stderr, "Shutdown: %d log lines not written (logdrain = %.3g s elapsed)\n",
                     backlog, static_cast<double>(drain_cs) / 100.0);
}

} // namespace

void skynet_shutdown_init(double drain_seconds, std::string bootstrap_cmdline) {
    drain_cs = drain_seconds > 0 ? static_cast<uint64_t>(drain_seconds * 100.0 + 0.5) : 0;
    bootstrap_line = std::move(bootstrap_cmdline);
}

void skynet_shutdown_request(stop_reason why) {
    stop_reason none = stop_reason::none;
    if (!requested.compare_exchange_strong(none, why))
        return;
    if (why == stop_reason::abort)
        skynet_handle_retireall_except(logger_handle());
}

stop_reason skynet_shutdown_reason() {
    return requested.load();
}

void skynet_shutdown_step() {
    uint32_t logger = logger_handle();
    switch (seq.at) {
    case stop_sequence::phase::retire_services:
        log_reason(requested.load());
        skynet_handle_retireall_except(logger);
        seq.deadline = skynet_now() + drain_cs;
        seq.at = stop_sequence::phase::drain;
        return;
    case stop_sequence::phase::drain: {
        int backlog = logger_backlog(logger);
        if (backlog < 0) {
            seq.at = stop_sequence::phase::done;
            return;
        }
        // Services still finishing their last callback may log more: wait
        // for them too, within the same deadline.
        bool drained = backlog == 0 && skynet_context_total() <= 1;
        if (!drained && skynet_now() < seq.deadline)
            return;
        if (!drained)
            give_up_draining();
        seq.deadline = skynet_now() + 100;
        seq.backlog = backlog;
        seq.at = stop_sequence::phase::final_line;
        return;
    }
    case stop_sequence::phase::final_line: {
        // Retire only once the last lines are written or skipped, or the
        // logger made no progress for a second (stuck in a write): what is
        // still queued at retire is lost.
        int backlog = logger_backlog(logger);
        if (backlog > 0 && backlog < seq.backlog) {
            seq.backlog = backlog;
            seq.deadline = skynet_now() + 100;
        }
        if (backlog > 0 && skynet_now() < seq.deadline)
            return;
        report_lost(backlog);
        if (logger)
            skynet_handle_retire(logger);
        seq.at = stop_sequence::phase::done;
        return;
    }
    case stop_sequence::phase::done:
        // Services that outlived the logger (stuck in a callback) still hold the node.
        skynet_handle_retireall();
        return;
    }
}
