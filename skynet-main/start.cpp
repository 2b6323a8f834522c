#include "start.h"

#include "context.h"
#include "daemon.h"
#include "env.h"
#include "handle.h"
#include "harbor.h"
#include "module.h"
#include "monitor.h"
#include "mq.h"
#include "shutdown.h"
#include "socket_server.h"
#include "timer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

thread_local skynet_monitor *t_monitor = nullptr;

namespace {

// Set by the signal handlers (on whatever thread the signal lands), read by
// the timer thread: lock-free atomics, safe in a handler and across threads.
std::atomic<bool> SIG_HUP{false};
std::atomic<bool> SIG_TERM{false};
static_assert(std::atomic<bool>::is_always_lock_free);

std::atomic<uint32_t> bootstrap_handle{0};
std::atomic<bool> bootstrap_failed{false};

struct scheduler {
    int count = 0;
    std::vector<skynet_monitor *> monitors;
    std::mutex mutex;
    std::condition_variable cond;
    std::atomic<int> sleep{0};
    bool quit = false;
};

scheduler *S = nullptr;

void handle_hup(int) {
    SIG_HUP.store(true, std::memory_order_relaxed);
}
void handle_term(int) {
    SIG_TERM.store(true, std::memory_order_relaxed);
}

void install_signals() {
    struct sigaction sa {};
    sa.sa_handler = handle_hup;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, nullptr);
    sa.sa_handler = handle_term;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

bool node_alive() {
    return skynet_context_total() > 0;
}

// SIGHUP: tell the logger to reopen its file.
void signal_logger() {
    uint32_t logger = skynet_handle_findname("logger");
    if (logger) {
        skynet_message msg{0, 0, nullptr, static_cast<size_t>(PTYPE_SYSTEM) << MESSAGE_TYPE_SHIFT};
        skynet_context_push(logger, &msg);
    }
}

// Only the logger is left (upstream would idle forever): stop the node.
bool only_logger_left() {
    if (skynet_context_total() != 1)
        return false;
    uint32_t logger = skynet_handle_findname("logger");
    skynet_context *ctx = logger ? skynet_handle_grab(logger) : nullptr;
    if (ctx == nullptr)
        return false;
    skynet_context_release(ctx);
    return skynet_context_total() == 1;
}

void check_stop() {
    if (SIG_TERM.load(std::memory_order_relaxed))
        skynet_shutdown_request(stop_reason::signal);
    if (bootstrap_failed)
        skynet_shutdown_request(stop_reason::bootstrap_error);
    if (skynet_shutdown_reason() == stop_reason::none && only_logger_left())
        skynet_shutdown_request(stop_reason::last_service);
    if (skynet_shutdown_reason() != stop_reason::none)
        skynet_shutdown_step();
}

void wakeup(int busy) {
    if (S->sleep >= S->count - busy)
        S->cond.notify_one();
}

void thread_timer() {
    skynet_initthread(THREAD_TIMER);
    while (node_alive()) {
        skynet_updatetime();
        skynet_socket_updatetime();
        wakeup(S->count - 1);
        std::this_thread::sleep_for(std::chrono::microseconds(2500));
        if (SIG_HUP.exchange(false, std::memory_order_relaxed)) {
            signal_logger();
        }
        check_stop();
    }
    skynet_socket_exit();
    std::lock_guard guard(S->mutex);
    S->quit = true;
    S->cond.notify_all();
}

void thread_monitor() {
    skynet_initthread(THREAD_MONITOR);
    for (;;) {
        for (skynet_monitor *m : S->monitors)
            skynet_monitor_check(m);
        for (int i = 0; i < 5; i++) {
            if (!node_alive())
                return;
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    }
}

void thread_socket() {
    skynet_initthread(THREAD_SOCKET);
    skynet_socket_run();
}

int worker_weight(int id) {
    static const int weight[] = {-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                 2,  2,  2,  2,  2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    return id < static_cast<int>(sizeof(weight) / sizeof(weight[0])) ? weight[id] : 0;
}

void thread_worker(int id) {
    int weight = worker_weight(id);
    t_monitor = S->monitors[id];
    skynet_initthread(THREAD_WORKER);
    message_queue *q = nullptr;
    for (;;) {
        q = skynet_context_message_dispatch(q, weight);
        if (q)
            continue;
        std::unique_lock guard(S->mutex);
        if (S->quit)
            break;
        ++S->sleep;
        S->cond.wait(guard);
        --S->sleep;
        if (S->quit)
            break;
    }
}

void start_threads(int thread) {
    scheduler s;
    S = &s;
    S->count = thread;
    std::vector<std::unique_ptr<skynet_monitor, void (*)(skynet_monitor *)>> owners;
    for (int i = 0; i < thread; i++) {
        owners.emplace_back(skynet_monitor_new(), skynet_monitor_delete);
        S->monitors.push_back(owners.back().get());
    }
    std::vector<std::thread> threads;
    threads.emplace_back(thread_monitor);
    threads.emplace_back(thread_timer);
    threads.emplace_back(thread_socket);
    for (int i = 0; i < thread; i++)
        threads.emplace_back(thread_worker, i);
    for (std::thread &t : threads)
        t.join();
    S = nullptr;
}

// A bootstrap that cannot start still runs the threads: the stop sequence
// writes what was logged, bounded by the drain time, and the node exits 1.
void bootstrap(const std::string &cmdline) {
    std::string name = cmdline.substr(0, cmdline.find(' '));
    std::string args = name.size() < cmdline.size() ? cmdline.substr(name.size() + 1) : "";
    if (skynet_context *ctx = skynet_context_new(name.c_str(), args.c_str()))
        bootstrap_handle = skynet_context_handle(ctx);
    else
        bootstrap_failed = true;
}

} // namespace

void skynet_launch_failed(uint32_t handle) {
    if (handle == bootstrap_handle.load())
        bootstrap_failed = true;
}

void skynet_wakeup(int busy) {
    if (S)
        wakeup(busy);
}

int skynet_start(const skynet_config &config) {
    install_signals();
    if (!config.daemon.empty() && !daemon_init(config.daemon.c_str()))
        std::exit(1);
    skynet_harbor_init(config.harbor);
    skynet_handle_init(config.harbor);
    skynet_mq_init();
    skynet_module_init(config.module_path.c_str());
    skynet_timer_init();
    skynet_socket_init();
    skynet_profile_enable(config.profile);

    skynet_context *ctx = skynet_context_new(config.logservice.c_str(),
                                             config.has_logger ? config.logger.c_str() : nullptr);
    if (ctx == nullptr) {
        std::fprintf(stderr, "Can't launch %s service\n", config.logservice.c_str());
        std::exit(1);
    }
    skynet_handle_namehandle(skynet_context_handle(ctx), "logger");
    skynet_shutdown_init(config.logdrain, config.bootstrap);
    bootstrap(config.bootstrap);

    start_threads(config.thread);

    skynet_harbor_exit();
    skynet_socket_free();
    if (!config.daemon.empty())
        daemon_exit(config.daemon.c_str());
    return bootstrap_failed ? 1 : 0;
}
