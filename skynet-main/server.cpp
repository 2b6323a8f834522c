#include "context.h"
#include "handle.h"
#include "harbor.h"
#include "log.h"
#include "monitor.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <memory>

skynet_node G_NODE;

namespace {

thread_local uint32_t t_handle = 0;

void delete_context(skynet_context *ctx) {
    if (FILE *f = ctx->logfile.load())
        std::fclose(f);
    skynet_module_instance_release(ctx->mod, ctx->instance);
    skynet_mq_mark_release(ctx->queue);
    std::unique_ptr<skynet_context> owner(ctx); // the last reference is gone
    G_NODE.total.fetch_sub(1);
}

// Dropping a message for a dead service answers its sender with an error so a
// pending call fails instead of hanging.
void drop_message(skynet_message *msg, void *ud) {
    uint32_t source = *static_cast<uint32_t *>(ud);
    skynet_free(msg->data);
    if (msg->source)
        skynet_send(nullptr, source, msg->source, PTYPE_ERROR, msg->session, nullptr, 0);
}

// Apply the PTYPE tags: copy the payload unless DONTCOPY, allocate a session
// if asked, and fold the type into the top byte of sz.
void filter_args(skynet_context *ctx, int type, int *session, void **data, size_t *sz) {
    bool needcopy = !(type & PTYPE_TAG_DONTCOPY);
    bool allocsession = type & PTYPE_TAG_ALLOCSESSION;
    type &= 0xff;
    if (allocsession) {
        assert(ctx != nullptr); // only a service's own sends allocate sessions
        assert(*session == 0);
        *session = skynet_context_newsession(ctx);
    }
    if (needcopy && *data) {
        auto *msg = static_cast<char *>(skynet_malloc(*sz + 1));
        std::memcpy(msg, *data, *sz);
        msg[*sz] = '\0';
        *data = msg;
    }
    *sz |= static_cast<size_t>(type) << MESSAGE_TYPE_SHIFT;
}

void dispatch_message(skynet_context *ctx, skynet_message *msg) {
    assert(ctx->init);
    t_handle = ctx->handle;
    int type = static_cast<int>(msg->sz >> MESSAGE_TYPE_SHIFT);
    size_t sz = msg->sz & MESSAGE_TYPE_MASK;
    if (FILE *f = ctx->logfile.load(std::memory_order_relaxed))
        skynet_log_output(f, msg->source, type, msg->session, msg->data, sz);
    ++ctx->message_count;
    int reserve_msg;
    if (ctx->profile) {
        ctx->cpu_start = skynet_callback_clock();
        reserve_msg = ctx->cb(ctx, ctx->cb_ud, type, msg->session, msg->source, msg->data, sz);
        ctx->cpu_cost += skynet_callback_clock() - ctx->cpu_start;
    } else {
        reserve_msg = ctx->cb(ctx, ctx->cb_ud, type, msg->session, msg->source, msg->data, sz);
    }
    if (!reserve_msg)
        skynet_free(msg->data);
}

} // namespace

extern "C" int skynet_context_total() {
    return G_NODE.total.load();
}

extern "C" skynet_context *skynet_context_new(const char *name, const char *param) {
    const skynet_module *mod = skynet_module_query(name);
    if (mod == nullptr)
        return nullptr;
    void *inst = skynet_module_instance_create(mod);
    if (inst == nullptr)
        return nullptr;
    // Reference counted by hand (grab/release); delete_context takes it back.
    auto *ctx = std::make_unique<skynet_context>().release();
    ctx->mod = mod;
    ctx->instance = inst;
    ctx->profile = G_NODE.profile;
    // handle_register may let other threads grab ctx at once: it must be complete.
    ctx->handle = skynet_handle_register(ctx);
    message_queue *queue = ctx->queue = skynet_mq_create(ctx->handle);
    G_NODE.total.fetch_add(1);

    int r = skynet_module_instance_init(mod, inst, ctx, param);
    if (r == 0) {
        skynet_context *ret = skynet_context_release(ctx);
        if (ret)
            ctx->init = true;
        skynet_globalmq_push(queue);
        if (ret)
            skynet_error(ret, "LAUNCH %s %s", name, param ? param : "");
        return ret;
    }
    skynet_error(ctx, "error: launch %s FAILED", name);
    uint32_t handle = ctx->handle;
    skynet_context_release(ctx);
    skynet_handle_retire(handle);
    skynet_mq_release(queue, drop_message, &handle);
    return nullptr;
}

extern "C" int skynet_context_newsession(skynet_context *ctx) {
    int session = ++ctx->session_id;
    if (session <= 0) {
        ctx->session_id = 1;
        return 1;
    }
    return session;
}

extern "C" void skynet_context_grab(skynet_context *ctx) {
    ctx->ref.fetch_add(1);
}

extern "C" void skynet_context_reserve(skynet_context *ctx) {
    skynet_context_grab(ctx);
    // A reserved context (the harbor) does not keep the node alive.
    G_NODE.total.fetch_sub(1);
}

extern "C" skynet_context *skynet_context_release(skynet_context *ctx) {
    if (ctx->ref.fetch_sub(1) == 1) {
        delete_context(ctx);
        return nullptr;
    }
    return ctx;
}

extern "C" int skynet_context_push(uint32_t handle, skynet_message *message) {
    skynet_context *ctx = skynet_handle_grab(handle);
    if (ctx == nullptr)
        return -1;
    skynet_mq_push(ctx->queue, message);
    skynet_context_release(ctx);
    return 0;
}

extern "C" void skynet_context_endless(uint32_t handle) {
    skynet_context *ctx = skynet_handle_grab(handle);
    if (ctx == nullptr)
        return;
    ctx->endless = true;
    skynet_context_release(ctx);
}

extern "C" int skynet_isremote(skynet_context *, uint32_t handle, int *harbor) {
    int ret = skynet_harbor_message_isremote(handle);
    if (harbor)
        *harbor = static_cast<int>(handle >> HANDLE_REMOTE_SHIFT);
    return ret;
}

message_queue *skynet_context_message_dispatch(message_queue *q, int weight) {
    extern thread_local skynet_monitor *t_monitor;
    if (q == nullptr) {
        q = skynet_globalmq_pop();
        if (q == nullptr)
            return nullptr;
    }
    uint32_t handle = skynet_mq_handle(q);
    skynet_context *ctx = skynet_handle_grab(handle);
    if (ctx == nullptr) {
        skynet_mq_release(q, drop_message, &handle);
        return skynet_globalmq_pop();
    }
    int n = 1;
    skynet_message msg;
    for (int i = 0; i < n; i++) {
        if (skynet_mq_pop(q, &msg)) {
            skynet_context_release(ctx);
            return skynet_globalmq_pop();
        }
        if (i == 0 && weight >= 0) {
            n = skynet_mq_length(q) >> weight;
        }
        if (int overload = skynet_mq_overload(q))
            skynet_error(ctx, "error: May overload, message queue length = %d", overload);
        skynet_monitor_trigger(t_monitor, msg.source, handle);
        if (ctx->cb == nullptr)
            skynet_free(msg.data);
        else
            dispatch_message(ctx, &msg);
        skynet_monitor_trigger(t_monitor, 0, 0);
    }
    assert(q == ctx->queue);
    if (message_queue *nq = skynet_globalmq_pop()) {
        // Others are waiting: requeue this one and serve the next.
        skynet_globalmq_push(q);
        q = nq;
    }
    skynet_context_release(ctx);
    return q;
}

void skynet_context_dispatchall(skynet_context *ctx) {
    skynet_message msg;
    while (skynet_mq_pop(ctx->queue, &msg) == 0)
        dispatch_message(ctx, &msg);
}

extern "C" uint32_t skynet_queryname(skynet_context *context, const char *name) {
    switch (name[0]) {
    case ':':
        return static_cast<uint32_t>(std::strtoul(name + 1, nullptr, 16));
    case '.':
        return skynet_handle_findname(name + 1);
    }
    skynet_error(context, "error: Don't support query global name %s", name);
    return 0;
}

extern "C" int skynet_send(skynet_context *context, uint32_t source, uint32_t destination, int type,
                           int session, void *data, size_t sz) {
    if ((sz & MESSAGE_TYPE_MASK) != sz) {
        skynet_error(context, "error: The message to %x is too large", destination);
        if (type & PTYPE_TAG_DONTCOPY)
            skynet_free(data);
        return -2;
    }
    filter_args(context, type, &session, &data, &sz);
    if (source == 0)
        source = context->handle;
    if (destination == 0) {
        if (data) {
            skynet_error(context, "error: Destination address can't be 0");
            skynet_free(data);
            return -1;
        }
        return session;
    }
    if (skynet_harbor_message_isremote(destination)) {
        auto *rmsg = static_cast<remote_message *>(skynet_malloc(sizeof(remote_message)));
        std::memset(rmsg->destination.name, 0, GLOBALNAME_LENGTH);
        rmsg->destination.handle = destination;
        rmsg->message = data;
        rmsg->sz = sz & MESSAGE_TYPE_MASK;
        rmsg->type = static_cast<int>(sz >> MESSAGE_TYPE_SHIFT);
        skynet_harbor_send(rmsg, source, session);
    } else {
        skynet_message smsg{source, session, data, sz};
        if (skynet_context_push(destination, &smsg)) {
            skynet_free(data);
            return -1;
        }
    }
    return session;
}

extern "C" int skynet_sendname(skynet_context *context, uint32_t source, const char *addr, int type,
                               int session, void *data, size_t sz) {
    if (source == 0)
        source = context->handle;
    uint32_t des = 0;
    if (addr[0] == ':') {
        des = static_cast<uint32_t>(std::strtoul(addr + 1, nullptr, 16));
    } else if (addr[0] == '.') {
        des = skynet_handle_findname(addr + 1);
        if (des == 0) {
            if (type & PTYPE_TAG_DONTCOPY)
                skynet_free(data);
            return -1;
        }
    } else {
        if ((sz & MESSAGE_TYPE_MASK) != sz) {
            skynet_error(context, "error: The message to %s is too large", addr);
            if (type & PTYPE_TAG_DONTCOPY)
                skynet_free(data);
            return -2;
        }
        filter_args(context, type, &session, &data, &sz);
        auto *rmsg = static_cast<remote_message *>(skynet_malloc(sizeof(remote_message)));
        std::memset(rmsg->destination.name, 0, GLOBALNAME_LENGTH);
        std::memcpy(rmsg->destination.name, addr, strnlen(addr, GLOBALNAME_LENGTH));
        rmsg->destination.handle = 0;
        rmsg->message = data;
        rmsg->sz = sz & MESSAGE_TYPE_MASK;
        rmsg->type = static_cast<int>(sz >> MESSAGE_TYPE_SHIFT);
        skynet_harbor_send(rmsg, source, session);
        return session;
    }
    return skynet_send(context, source, des, type, session, data, sz);
}

extern "C" uint32_t skynet_context_handle(skynet_context *ctx) {
    return ctx->handle;
}

extern "C" void skynet_callback(skynet_context *context, void *ud, skynet_cb cb) {
    context->cb = cb;
    context->cb_ud = ud;
}

extern "C" void skynet_context_send(skynet_context *ctx, void *msg, size_t sz, uint32_t source,
                                    int type, int session) {
    skynet_message smsg{source, session, msg,
                        sz | (static_cast<size_t>(type) << MESSAGE_TYPE_SHIFT)};
    skynet_mq_push(ctx->queue, &smsg);
}

extern "C" uint32_t skynet_current_handle() {
    return t_handle;
}

void skynet_initthread(int m) {
    t_handle = static_cast<uint32_t>(-m);
}

void skynet_globalinit() {
    skynet_mq_init();
    skynet_initthread(THREAD_MAIN);
}

void skynet_globalexit() {}

void skynet_profile_enable(int enable) {
    G_NODE.profile = enable != 0;
}
