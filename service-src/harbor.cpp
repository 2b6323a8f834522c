// harbor: the endpoint for remote handles and global names. With harbor id 0
// (single node) every other harbor is down and global names resolve locally,
// as upstream's C harbor does in that mode.
#include "harbor.h"
#include "module.h"
#include "server.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

namespace {

struct pending {
    remote_message msg;
    uint32_t source;
    int session;
};

struct harbor {
    skynet_context *ctx = nullptr;
    int id = 0;
    uint32_t slave = 0;
    std::unordered_map<std::string, uint32_t> names;
    std::unordered_map<std::string, std::deque<pending>> waiting;
};

std::string name_of(const remote_message &m) {
    return std::string(m.destination.name, strnlen(m.destination.name, GLOBALNAME_LENGTH));
}

void deliver(harbor *h, const remote_message &m, uint32_t source, int session) {
    uint32_t dest = m.destination.handle;
    int target = static_cast<int>(dest >> 24);
    if (target == h->id || target == 0) {
        skynet_send(h->ctx, source, dest, m.type | PTYPE_TAG_DONTCOPY, session,
                    const_cast<void *>(m.message), m.sz);
        return;
    }
    // No links to other harbors: the message is dropped and the caller told.
    skynet_free(const_cast<void *>(m.message));
    if (m.type != PTYPE_ERROR)
        skynet_send(h->ctx, dest, source, PTYPE_ERROR, session, nullptr, 0);
    skynet_error(h->ctx, "Drop message to harbor %d from %x to %x (session = %d, msgsz = %d)",
                 target, source, dest, session, static_cast<int>(m.sz));
}

void remote_send(harbor *h, const remote_message &m, uint32_t source, int session) {
    if (m.destination.handle != 0) {
        deliver(h, m, source, session);
        return;
    }
    std::string name = name_of(m);
    auto it = h->names.find(name);
    if (it != h->names.end()) {
        remote_message bound = m;
        bound.destination.handle = it->second;
        deliver(h, bound, source, session);
        return;
    }
    // Unknown name: hold the message until someone registers it.
    auto &queue = h->waiting[name];
    bool first = queue.empty();
    queue.push_back(pending{m, source, session});
    if (first) {
        std::string query = "Q " + name;
        skynet_send(h->ctx, 0, h->slave, PTYPE_TEXT, 0, query.data(), query.size());
    }
}

// "N name" from the slave, with the owner as source.
void register_name(harbor *h, const std::string &name, uint32_t handle) {
    h->names[name] = handle;
    auto it = h->waiting.find(name);
    if (it == h->waiting.end())
        return;
    std::deque<pending> queue = std::move(it->second);
    h->waiting.erase(it);
    for (pending &p : queue) {
        p.msg.destination.handle = handle;
        deliver(h, p.msg, p.source, p.session);
    }
}

int harbor_cb(skynet_context *ctx, void *ud, int type, int session, uint32_t source,
              const void *msg, size_t sz) {
    auto *h = static_cast<harbor *>(ud);
    switch (type) {
    case PTYPE_SYSTEM:
        if (sz == sizeof(remote_message))
            remote_send(h, *static_cast<const remote_message *>(msg), source, session);
        else
            skynet_error(ctx, "Invalid remote message size %d", static_cast<int>(sz));
        return 0;
    case PTYPE_HARBOR: {
        std::string text(static_cast<const char *>(msg), sz);
        if (text.size() > 2 && text[0] == 'N' && text[1] == ' ')
            register_name(h, text.substr(2), source);
        else if (text.size() > 2 && (text[0] == 'S' || text[0] == 'A'))
            skynet_error(ctx, "Can't connect to other harbor in single node mode");
        else
            skynet_error(ctx, "Unknown command %s", text.c_str());
        return 0;
    }
    default:
        skynet_error(ctx, "recv invalid message from %x,  type = %d", source, type);
        return 0;
    }
}

void *harbor_create() {
    return std::make_unique<harbor>().release();
}

void harbor_release(void *inst) {
    std::unique_ptr<harbor> h(static_cast<harbor *>(inst));
    for (auto &[name, queue] : h->waiting)
        for (pending &p : queue)
            skynet_free(const_cast<void *>(p.msg.message));
}

int harbor_init(void *inst, skynet_context *ctx, const char *args) {
    auto *h = static_cast<harbor *>(inst);
    h->ctx = ctx;
    char *end = nullptr;
    h->id = static_cast<int>(std::strtol(args ? args : "", &end, 10));
    h->slave = static_cast<uint32_t>(std::strtoul(end, nullptr, 10));
    if (h->slave == 0)
        return 1;
    skynet_callback(ctx, h, harbor_cb);
    skynet_harbor_start(ctx);
    return 0;
}

} // namespace

extern const skynet_module harbor_module = {
    "harbor", nullptr, harbor_create, harbor_init, harbor_release, nullptr,
};
