// harbor: the endpoint for remote handles and global names. It keeps one
// socket per other harbor (handed over by the slave, .cslave, with "S fd id"
// or "A fd id") and speaks upstream's wire format on it (harbor_wire.h).
//
// Text from the slave (PTYPE_HARBOR): "N name" (source = owner), "S fd id",
// "A fd id". To the slave (PTYPE_TEXT): "Q name" for an unknown global name,
// "D id" when the link to a harbor goes down.
//
// Beyond upstream: a link that goes down fails, at once, every call that was
// sent through it and is still unanswered, and every message queued for it;
// a harbor that went down may connect again (a restarted slave).
#include "harbor.h"
#include "handle.h"
#include "harbor_wire.h"
#include "module.h"
#include "server.h"
#include "skynet_socket.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace {

// A message waiting for its destination (a name or a link) to be known.
struct outgoing {
    uint32_t source;
    uint32_t destination; // full handle; 0 while waiting for a name
    int type;
    int session;
    void *data;
    size_t size;
};

// A reply will come back for it: failing the link must fail the caller.
bool is_request(int type, int session) {
    return session > 0 && type != PTYPE_RESPONSE && type != PTYPE_ERROR &&
           type != PTYPE_MULTICAST; // multicast carries the channel in `session`
}

uint64_t call_key(uint32_t source, int session) {
    return uint64_t(source) << 32 | static_cast<uint32_t>(session);
}

enum class link_status { waiting, handshake, up, down };

struct link {
    int fd = 0;
    link_status status = link_status::waiting;
    std::unique_ptr<harbor_wire::reader> reader;
    std::deque<outgoing> queue;                   // until the link is up
    std::unordered_map<uint64_t, uint32_t> calls; // (caller, session) -> callee
};

struct name_entry {
    uint32_t handle = 0;
    std::deque<outgoing> queue; // until the name is known
};

struct harbor {
    skynet_context *ctx = nullptr;
    int id = 0;
    uint32_t slave = 0;
    std::array<link, REMOTE_MAX> links;
    std::unordered_map<int, int> link_of_fd;
    std::unordered_set<int> closing; // fds we closed: their CLOSE is expected
    std::unordered_map<std::string, name_entry> names;
};

void tell_slave(harbor *h, const std::string &text) {
    skynet_send(h->ctx, 0, h->slave, PTYPE_TEXT, 0, const_cast<char *>(text.data()), text.size());
}

void fail_caller(harbor *h, uint32_t callee, uint32_t caller, int session) {
    skynet_send(h->ctx, callee, caller, PTYPE_ERROR, session, nullptr, 0);
}

void send_packet(harbor *h, link &l, const outgoing &m) {
    harbor_wire::trailer t{m.source,
                           static_cast<uint32_t>(m.type) << HANDLE_REMOTE_SHIFT |
                               (m.destination & HANDLE_MASK),
                           static_cast<uint32_t>(m.session)};
    harbor_wire::frame f = harbor_wire::encode(m.data, m.size, t);
    skynet_free(m.data);
    if (f.data == nullptr) {
        skynet_error(h->ctx, "remote message from :%08x to :%08x is too large.", m.source,
                     m.destination);
        if (is_request(m.type, m.session)) {
            l.calls.erase(call_key(m.source, m.session));
            fail_caller(h, m.destination, m.source, m.session);
        }
        return;
    }
    socket_sendbuffer buf{l.fd, SOCKET_BUFFER_MEMORY, f.data, f.size};
    // A send on a broken link fails quietly: its CLOSE message follows.
    skynet_socket_sendbuffer(h->ctx, &buf);
}

void flush_queue(harbor *h, link &l) {
    std::deque<outgoing> queue = std::move(l.queue);
    l.queue.clear();
    for (const outgoing &m : queue)
        send_packet(h, l, m);
}

void link_down(harbor *h, int id) {
    link &l = h->links[id];
    if (l.status == link_status::down)
        return;
    if (l.fd != 0) {
        h->link_of_fd.erase(l.fd);
        h->closing.insert(l.fd);
        skynet_socket_close(h->ctx, l.fd);
        l.fd = 0;
    }
    l.status = link_status::down;
    l.reader.reset();
    for (const outgoing &m : l.queue)
        skynet_free(m.data);
    l.queue.clear();
    size_t failed = l.calls.size();
    for (const auto &[key, callee] : l.calls)
        fail_caller(h, callee, static_cast<uint32_t>(key >> 32), static_cast<int>(key));
    l.calls.clear();
    skynet_error(h->ctx, "Harbor %d is down (%zu unanswered calls failed)", id, failed);
    tell_slave(h, "D " + std::to_string(id));
}

void deliver_local(harbor *h, const outgoing &m) {
    skynet_send(h->ctx, m.source, m.destination, m.type | PTYPE_TAG_DONTCOPY, m.session, m.data,
                m.size);
}

void send_to_handle(harbor *h, const outgoing &m) {
    int target = static_cast<int>(m.destination >> HANDLE_REMOTE_SHIFT);
    if (target == h->id) {
        deliver_local(h, m);
        return;
    }
    link &l = h->links[target];
    if (l.status == link_status::down) {
        skynet_free(m.data);
        if (m.type != PTYPE_ERROR)
            fail_caller(h, m.destination, m.source, m.session);
        skynet_error(h->ctx, "Drop message to harbor %d from %x to %x (session = %d, msgsz = %d)",
                     target, m.source, m.destination, m.session, static_cast<int>(m.size));
        return;
    }
    if (is_request(m.type, m.session))
        l.calls[call_key(m.source, m.session)] = m.destination;
    if (l.status == link_status::up)
        send_packet(h, l, m);
    else
        l.queue.push_back(m);
}

void send_to_name(harbor *h, const std::string &name, const outgoing &m) {
    name_entry &e = h->names[name];
    if (e.handle != 0) {
        outgoing bound = m;
        bound.destination = e.handle;
        send_to_handle(h, bound);
        return;
    }
    e.queue.push_back(m);
    tell_slave(h, "Q " + name);
}

void update_name(harbor *h, const std::string &name, uint32_t handle) {
    name_entry &e = h->names[name];
    e.handle = handle;
    std::deque<outgoing> queue = std::move(e.queue);
    e.queue.clear();
    for (outgoing &m : queue) {
        m.destination = handle;
        send_to_handle(h, m);
    }
}

void send_handshake(harbor *h, int fd) {
    auto *byte = static_cast<uint8_t *>(skynet_malloc(1));
    byte[0] = static_cast<uint8_t>(h->id);
    socket_sendbuffer buf{fd, SOCKET_BUFFER_MEMORY, byte, 1};
    skynet_socket_sendbuffer(h->ctx, &buf);
}

// "S fd id" (we connected: the peer's id must come first) or "A fd id" (we
// accepted: the slave has read the peer's id already).
void start_link(harbor *h, char how, const std::string &args) {
    int fd = 0, id = 0;
    if (std::sscanf(args.c_str(), "%d %d", &fd, &id) != 2 || fd <= 0 || id <= 0 ||
        id >= REMOTE_MAX || id == h->id) {
        skynet_error(h->ctx, "Invalid command %c %s", how, args.c_str());
        return;
    }
    link &l = h->links[id];
    if (l.fd != 0) {
        skynet_error(h->ctx, "Harbor %d already exists", id);
        return;
    }
    l.fd = fd;
    l.reader = std::make_unique<harbor_wire::reader>(how == 'S');
    h->link_of_fd[fd] = id;
    h->closing.erase(fd);
    skynet_socket_start(h->ctx, fd);
    send_handshake(h, fd);
    if (how == 'S') {
        l.status = link_status::handshake;
    } else {
        l.status = link_status::up;
        flush_queue(h, l);
    }
}

void harbor_command(harbor *h, const char *msg, size_t sz, uint32_t source) {
    std::string text(msg, sz);
    std::string arg = sz > 2 ? text.substr(2) : std::string();
    switch (sz > 0 ? msg[0] : 0) {
    case 'N':
        if (arg.empty() || arg.size() >= GLOBALNAME_LENGTH) {
            skynet_error(h->ctx, "Invalid global name %s", arg.c_str());
            return;
        }
        update_name(h, arg, source);
        return;
    case 'S':
    case 'A':
        start_link(h, msg[0], arg);
        return;
    default:
        skynet_error(h->ctx, "Unknown command %s", text.c_str());
    }
}

// A packet from harbor `id`: deliver to the local handle in its trailer.
void forward_packet(harbor *h, int id, uint8_t *body, size_t size) {
    harbor_wire::trailer t = harbor_wire::decode_trailer(body, size);
    int type = static_cast<int>(t.destination >> HANDLE_REMOTE_SHIFT);
    uint32_t destination = (t.destination & HANDLE_MASK) | static_cast<uint32_t>(h->id)
                                                               << HANDLE_REMOTE_SHIFT;
    int session = static_cast<int>(t.session);
    if (type == PTYPE_RESPONSE || type == PTYPE_ERROR)
        h->links[id].calls.erase(call_key(destination, session));
    if (skynet_send(h->ctx, t.source, destination, type | PTYPE_TAG_DONTCOPY, session, body,
                    size - harbor_wire::TRAILER_SIZE) < 0) {
        if (type != PTYPE_ERROR)
            skynet_send(h->ctx, destination, t.source, PTYPE_ERROR, session, nullptr, 0);
        skynet_error(h->ctx, "Unknown destination :%x from :%x type(%d)", destination, t.source,
                     type);
    }
}

void socket_data(harbor *h, const skynet_socket_message &sm) {
    auto it = h->link_of_fd.find(sm.id);
    if (it == h->link_of_fd.end()) {
        if (h->closing.count(sm.id) == 0) // else: data still in flight on a link we closed
            skynet_error(h->ctx, "Invalid socket fd (%d) data", sm.id);
        return;
    }
    int id = it->second;
    link &l = h->links[id];
    std::span<const uint8_t> input(reinterpret_cast<const uint8_t *>(sm.buffer),
                                   sm.buffer ? static_cast<size_t>(sm.ud) : 0);
    for (;;) {
        harbor_wire::reader::event e = l.reader->next(input);
        switch (e.kind) {
        case harbor_wire::reader::event_kind::need_more:
            return;
        case harbor_wire::reader::event_kind::handshake:
            if (e.harbor_id != id) {
                skynet_error(h->ctx, "Invalid shakehand id (%d) from fd = %d , harbor = %d", id,
                             sm.id, e.harbor_id);
                link_down(h, id);
                return;
            }
            l.status = link_status::up;
            flush_queue(h, l);
            break;
        case harbor_wire::reader::event_kind::packet:
            forward_packet(h, id, e.body, e.size);
            break;
        case harbor_wire::reader::event_kind::error:
            skynet_error(h->ctx, "Bad data from harbor %d (fd = %d): %s", id, sm.id, e.why);
            link_down(h, id);
            return;
        }
    }
}

void socket_event(harbor *h, const skynet_socket_message &sm) {
    switch (sm.type) {
    case SKYNET_SOCKET_TYPE_DATA:
        socket_data(h, sm);
        skynet_free(sm.buffer);
        return;
    case SKYNET_SOCKET_TYPE_ERROR:
    case SKYNET_SOCKET_TYPE_CLOSE: {
        auto it = h->link_of_fd.find(sm.id);
        if (it != h->link_of_fd.end())
            link_down(h, it->second);
        else if (h->closing.erase(sm.id) == 0)
            skynet_error(h->ctx, "Unknown fd (%d) closed", sm.id);
        return;
    }
    case SKYNET_SOCKET_TYPE_CONNECT:
        return;
    case SKYNET_SOCKET_TYPE_WARNING: {
        auto it = h->link_of_fd.find(sm.id);
        if (it != h->link_of_fd.end())
            skynet_error(h->ctx, "message havn't send to Harbor (%d) reach %d K", it->second,
                         sm.ud);
        return;
    }
    default:
        skynet_error(h->ctx, "recv invalid socket message type %d", sm.type);
    }
}

void remote_message_out(harbor *h, const remote_message &rm, uint32_t source, int session) {
    outgoing m{source,  rm.destination.handle,          rm.type,
               session, const_cast<void *>(rm.message), rm.sz};
    if (m.destination != 0) {
        send_to_handle(h, m);
        return;
    }
    std::string name(rm.destination.name, strnlen(rm.destination.name, GLOBALNAME_LENGTH));
    send_to_name(h, name, m);
}

int harbor_cb(skynet_context *ctx, void *ud, int type, int session, uint32_t source,
              const void *msg, size_t sz) {
    auto *h = static_cast<harbor *>(ud);
    switch (type) {
    case PTYPE_SOCKET:
        socket_event(h, *static_cast<const skynet_socket_message *>(msg));
        return 0;
    case PTYPE_HARBOR:
        harbor_command(h, static_cast<const char *>(msg), sz, source);
        return 0;
    case PTYPE_SYSTEM:
        if (sz == sizeof(remote_message))
            remote_message_out(h, *static_cast<const remote_message *>(msg), source, session);
        else
            skynet_error(ctx, "Invalid remote message size %d", static_cast<int>(sz));
        return 0;
    default:
        skynet_error(ctx, "recv invalid message from %x,  type = %d", source, type);
        if (session != 0 && type != PTYPE_ERROR)
            skynet_send(ctx, 0, source, PTYPE_ERROR, session, nullptr, 0);
        return 0;
    }
}

void free_queue(std::deque<outgoing> &queue) {
    for (const outgoing &m : queue)
        skynet_free(m.data);
    queue.clear();
}

void *harbor_create() {
    return std::make_unique<harbor>().release();
}

// Sockets are left to the socket server: the node is ending.
void harbor_release(void *inst) {
    std::unique_ptr<harbor> h(static_cast<harbor *>(inst));
    for (link &l : h->links)
        free_queue(l.queue);
    for (auto &[name, e] : h->names)
        free_queue(e.queue);
}

int harbor_init(void *inst, skynet_context *ctx, const char *args) {
    auto *h = static_cast<harbor *>(inst);
    h->ctx = ctx;
    int id = 0;
    unsigned slave = 0;
    if (std::sscanf(args ? args : "", "%d %u", &id, &slave) != 2 || slave == 0 || id < 0 ||
        id >= REMOTE_MAX)
        return 1;
    h->id = id;
    h->slave = slave;
    // A single node (harbor 0) has no other harbor to reach.
    if (id == 0)
        for (link &l : h->links)
            l.status = link_status::down;
    skynet_callback(ctx, h, harbor_cb);
    skynet_harbor_start(ctx);
    return 0;
}

} // namespace

extern const skynet_module harbor_module = {
    "harbor", nullptr, harbor_create, harbor_init, harbor_release, nullptr,
};
