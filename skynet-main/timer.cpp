#include "timer.h"

#include "server.h"

#include <array>
#include <atomic>
#include <ctime>
#include <mutex>
#include <vector>

namespace {

// Near wheel of 256 slots, then four levels of 64 covering the rest of the
// 32-bit tick counter, as upstream.
constexpr int NEAR_SHIFT = 8;
constexpr int NEAR = 1 << NEAR_SHIFT;
constexpr int LEVEL_SHIFT = 6;
constexpr int LEVEL = 1 << LEVEL_SHIFT;
constexpr uint32_t NEAR_MASK = NEAR - 1;
constexpr uint32_t LEVEL_MASK = LEVEL - 1;

struct timer_event {
    uint32_t handle;
    int session;
    uint32_t expire;
};

using slot = std::vector<timer_event>;

struct timer {
    std::mutex lock;
    std::array<slot, NEAR> near;
    std::array<std::array<slot, LEVEL>, 4> t;
    uint32_t time = 0;
    uint32_t starttime = 0;
    std::atomic<uint64_t> current{0};
    uint64_t current_point = 0;
};

timer *T = nullptr;

void add_node(timer_event ev) {
    uint32_t time = ev.expire;
    uint32_t current_time = T->time;
    if ((time | NEAR_MASK) == (current_time | NEAR_MASK)) {
        T->near[time & NEAR_MASK].push_back(ev);
        return;
    }
    int i;
    uint32_t mask = NEAR << LEVEL_SHIFT;
    for (i = 0; i < 3; i++) {
        if ((time | (mask - 1)) == (current_time | (mask - 1)))
            break;
        mask <<= LEVEL_SHIFT;
    }
    T->t[i][(time >> (NEAR_SHIFT + i * LEVEL_SHIFT)) & LEVEL_MASK].push_back(ev);
}

void move_list(int level, int idx) {
    slot moved;
    moved.swap(T->t[level][idx]);
    for (const timer_event &ev : moved)
        add_node(ev);
}

// Redistribute the higher levels when the near wheel wraps.
void shift() {
    uint32_t ct = ++T->time;
    if (ct == 0) {
        move_list(3, 0);
        return;
    }
    uint32_t mask = NEAR;
    uint32_t time = ct >> NEAR_SHIFT;
    int i = 0;
    while ((ct & (mask - 1)) == 0) {
        int idx = time & LEVEL_MASK;
        if (idx != 0) {
            move_list(i, idx);
            break;
        }
        mask <<= LEVEL_SHIFT;
        time >>= LEVEL_SHIFT;
        ++i;
    }
}

void dispatch(slot &events) {
    for (const timer_event &ev : events) {
        skynet_message msg{0, ev.session, nullptr,
                           static_cast<size_t>(PTYPE_RESPONSE) << MESSAGE_TYPE_SHIFT};
        skynet_context_push(ev.handle, &msg);
    }
}

// Fire everything due at the current tick. Events are pushed outside the lock
// so a timeout callback that adds a timer cannot deadlock.
void execute(std::unique_lock<std::mutex> &guard) {
    int idx = T->time & NEAR_MASK;
    while (!T->near[idx].empty()) {
        slot due;
        due.swap(T->near[idx]);
        guard.unlock();
        dispatch(due);
        guard.lock();
    }
}

void timer_update() {
    std::unique_lock guard(T->lock);
    execute(guard); // timeouts of 0 ticks land in the current slot
    shift();
    execute(guard);
}

void systime(uint32_t *sec, uint32_t *cs) {
    timespec ti;
    clock_gettime(CLOCK_REALTIME, &ti);
    *sec = static_cast<uint32_t>(ti.tv_sec);
    *cs = static_cast<uint32_t>(ti.tv_nsec / 10000000);
}

uint64_t gettime() {
    timespec ti;
    clock_gettime(CLOCK_MONOTONIC, &ti);
    return static_cast<uint64_t>(ti.tv_sec) * 100 + ti.tv_nsec / 10000000;
}

} // namespace

extern "C" int skynet_timeout(uint32_t handle, int time, int session) {
    if (time <= 0) {
        skynet_message msg{0, session, nullptr,
                           static_cast<size_t>(PTYPE_RESPONSE) << MESSAGE_TYPE_SHIFT};
        if (skynet_context_push(handle, &msg))
            return -1;
    } else {
        std::lock_guard guard(T->lock);
        add_node(timer_event{handle, session, T->time + static_cast<uint32_t>(time)});
    }
    return session;
}

void skynet_updatetime() {
    uint64_t cp = gettime();
    if (cp < T->current_point) {
        skynet_error(nullptr, "time diff error: change from %llu to %llu",
                     static_cast<unsigned long long>(cp),
                     static_cast<unsigned long long>(T->current_point));
        T->current_point = cp;
    } else if (cp != T->current_point) {
        uint32_t diff = static_cast<uint32_t>(cp - T->current_point);
        T->current_point = cp;
        T->current.fetch_add(diff, std::memory_order_relaxed);
        for (uint32_t i = 0; i < diff; i++)
            timer_update();
    }
}

extern "C" uint32_t skynet_starttime() {
    return T->starttime;
}

extern "C" uint64_t skynet_now() {
    return T->current.load(std::memory_order_relaxed);
}

void skynet_timer_init() {
    static timer t;
    T = &t;
    uint32_t cs;
    systime(&T->starttime, &cs);
    T->current = cs;
    T->current_point = gettime();
}

extern "C" uint64_t skynet_thread_time() {
    timespec ti;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ti);
    return static_cast<uint64_t>(ti.tv_sec) * 1000000 + ti.tv_nsec / 1000;
}

uint64_t skynet_callback_clock() {
    timespec ti;
    clock_gettime(CLOCK_MONOTONIC, &ti);
    return static_cast<uint64_t>(ti.tv_sec) * 1000000 + ti.tv_nsec / 1000;
}
