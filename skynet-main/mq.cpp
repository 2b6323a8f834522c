#include "mq.h"

#include <atomic>
#include <cassert>
#include <memory>
#include <mutex>
#include <vector>

namespace {

constexpr int DEFAULT_QUEUE_SIZE = 64;
constexpr int MQ_OVERLOAD = 1024;

// A tiny test-and-set lock: critical sections here are a few instructions,
// and a futex-backed std::mutex costs more on the message hot path.
class spinlock {
  public:
    void lock() {
        while (flag_.test_and_set(std::memory_order_acquire))
            while (flag_.test(std::memory_order_relaxed))
                __builtin_ia32_pause();
    }
    void unlock() { flag_.clear(std::memory_order_release); }

  private:
    std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

} // namespace

struct message_queue {
    spinlock lock;
    uint32_t handle;
    int cap = DEFAULT_QUEUE_SIZE;
    int head = 0;
    int tail = 0;
    bool release = false;
    bool in_global = true; // a new queue is scheduled only after its service's init
    int overload = 0;
    int overload_threshold = MQ_OVERLOAD;
    std::vector<skynet_message> queue = std::vector<skynet_message>(DEFAULT_QUEUE_SIZE);
    message_queue *next = nullptr;
    explicit message_queue(uint32_t h) : handle(h) {}
};

namespace {

struct global_queue {
    spinlock lock;
    message_queue *head = nullptr;
    message_queue *tail = nullptr;
};

global_queue *Q = nullptr;

void expand_queue(message_queue *q) {
    std::vector<skynet_message> bigger(q->cap * 2);
    for (int i = 0; i < q->cap; i++)
        bigger[i] = q->queue[(q->head + i) % q->cap];
    q->head = 0;
    q->tail = q->cap;
    q->cap *= 2;
    q->queue.swap(bigger);
}

} // namespace

void skynet_globalmq_push(message_queue *q) {
    std::lock_guard guard(Q->lock);
    assert(q->next == nullptr);
    if (Q->tail) {
        Q->tail->next = q;
        Q->tail = q;
    } else {
        Q->head = Q->tail = q;
    }
}

message_queue *skynet_globalmq_pop() {
    std::lock_guard guard(Q->lock);
    message_queue *mq = Q->head;
    if (mq) {
        Q->head = mq->next;
        if (Q->head == nullptr)
            Q->tail = nullptr;
        mq->next = nullptr;
    }
    return mq;
}

// The global queue links queues intrusively; ownership is released here and
// taken back in skynet_mq_release.
message_queue *skynet_mq_create(uint32_t handle) {
    return std::make_unique<message_queue>(handle).release();
}

uint32_t skynet_mq_handle(message_queue *q) {
    return q->handle;
}

int skynet_mq_length(message_queue *q) {
    std::lock_guard guard(q->lock);
    int len = q->tail - q->head;
    return len >= 0 ? len : len + q->cap;
}

int skynet_mq_overload(message_queue *q) {
    if (q->overload) {
        int overload = q->overload;
        q->overload = 0;
        return overload;
    }
    return 0;
}

int skynet_mq_pop(message_queue *q, skynet_message *message) {
    std::lock_guard guard(q->lock);
    if (q->head == q->tail) {
        q->overload_threshold = MQ_OVERLOAD;
        q->in_global = false; // the next push reschedules the service
        return 1;
    }
    *message = q->queue[q->head++];
    if (q->head >= q->cap)
        q->head = 0;
    int length = q->tail - q->head;
    if (length < 0)
        length += q->cap;
    while (length > q->overload_threshold) {
        q->overload = length;
        q->overload_threshold *= 2;
    }
    return 0;
}

void skynet_mq_push(message_queue *q, skynet_message *message) {
    bool schedule = false;
    {
        std::lock_guard guard(q->lock);
        q->queue[q->tail] = *message;
        if (++q->tail >= q->cap)
            q->tail = 0;
        if (q->head == q->tail)
            expand_queue(q);
        if (!q->in_global) {
            q->in_global = true;
            schedule = true;
        }
    }
    if (schedule)
        skynet_globalmq_push(q);
}

void skynet_mq_init() {
    static global_queue g;
    Q = &g;
}

void skynet_mq_mark_release(message_queue *q) {
    bool schedule = false;
    {
        std::lock_guard guard(q->lock);
        assert(!q->release);
        q->release = true;
        if (!q->in_global) {
            q->in_global = true;
            schedule = true;
        }
    }
    if (schedule)
        skynet_globalmq_push(q);
}

void skynet_mq_release(message_queue *q, message_drop drop_func, void *ud) {
    bool dead;
    {
        std::lock_guard guard(q->lock);
        dead = q->release;
    }
    if (!dead) {
        skynet_globalmq_push(q);
        return;
    }
    std::unique_ptr<message_queue> owner(q);
    skynet_message msg;
    while (skynet_mq_pop(q, &msg) == 0)
        drop_func(&msg, ud);
}
