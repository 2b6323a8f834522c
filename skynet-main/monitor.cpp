#include "monitor.h"

#include "server.h"

#include <atomic>
#include <memory>

struct skynet_monitor {
    std::atomic<int> version{0};
    int check_version = 0;
    std::atomic<uint32_t> source{0};
    std::atomic<uint32_t> destination{0};
};

skynet_monitor *skynet_monitor_new() {
    return std::make_unique<skynet_monitor>().release();
}

void skynet_monitor_delete(skynet_monitor *sm) {
    std::unique_ptr<skynet_monitor> owner(sm);
}

void skynet_monitor_trigger(skynet_monitor *sm, uint32_t source, uint32_t destination) {
    sm->source.store(source, std::memory_order_relaxed);
    sm->destination.store(destination, std::memory_order_relaxed);
    // Only the monitor's own worker writes version: no locked increment needed.
    sm->version.store(sm->version.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void skynet_monitor_check(skynet_monitor *sm) {
    int version = sm->version.load(std::memory_order_acquire);
    if (version == sm->check_version) {
        uint32_t destination = sm->destination.load(std::memory_order_relaxed);
        if (destination) {
            skynet_context_endless(destination);
            skynet_error(nullptr,
                         "error: A message from [ :%08x ] to [ :%08x ] maybe in an endless loop "
                         "(version = %d)",
                         sm->source.load(std::memory_order_relaxed), destination, version);
        }
    } else {
        sm->check_version = version;
    }
}
