// skynet.netpack: splits gate traffic into frames of a 2-byte big-endian
// length followed by that many bytes.
//
// The queue is a full userdata with __gc (LuaJIT ignores __gc on tables), so
// partial and undelivered frames are freed with the gate's Lua state even if
// nobody calls netpack.clear.
#include "modules.h"

#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <unordered_map>

namespace {

constexpr const char *kQueueMeta = "skynet.netpack.queue";
constexpr lua_Integer kFrameLimit = 0x10000;

struct FreeBlock {
    void operator()(char *p) const { skynet_free(p); }
};
using Block = std::unique_ptr<char, FreeBlock>;

struct Frame {
    int fd;
    Block data;
    int size;
};

// A frame still arriving on one connection; the header may be split too.
struct Partial {
    uint8_t header[2] = {0, 0};
    int header_read = 0;
    Block data;
    int size = 0;
    int read = 0;

    bool started() const { return header_read > 0; }
};

struct Queue {
    std::unordered_map<int, Partial> partial; // by socket id
    std::deque<Frame> ready;                  // completed, waiting for pop

    void clear() {
        partial.clear();
        ready.clear();
    }
};

// The userdata holds a pointer, so __gc can free the queue and leave a
// harmless null behind should it run twice (it is reachable by hand too).
using QueueRef = std::unique_ptr<Queue>;

int lqueue_gc(lua_State *L) {
    static_cast<QueueRef *>(luaL_checkudata(L, 1, kQueueMeta))->reset();
    return 0;
}

// The queue at index, or null.
Queue *to_queue(lua_State *L, int index) {
    auto *ref = static_cast<QueueRef *>(luaL_testudata(L, index, kQueueMeta));
    return ref != nullptr ? ref->get() : nullptr;
}

// The queue at index 1, created there when it is nil.
Queue *queue_arg(lua_State *L) {
    if (Queue *q = to_queue(L, 1))
        return q;
    if (!lua_isnil(L, 1))
        luaL_error(L, "Invalid netpack queue (%s)", luaL_typename(L, 1));
    auto *ref = new (lua_newuserdata(L, sizeof(QueueRef))) QueueRef();
    if (luaL_newmetatable(L, kQueueMeta)) {
        lua_pushcfunction(L, lqueue_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    *ref = std::make_unique<Queue>();
    lua_replace(L, 1);
    return ref->get();
}

// Feeds one received block of socket fd through its partial frame. Completed
// frames go to the ready queue; returns how many completed.
int split_frames(Queue *q, int fd, const uint8_t *p, size_t left) {
    Partial cur;
    if (auto it = q->partial.find(fd); it != q->partial.end()) {
        cur = std::move(it->second);
        q->partial.erase(it);
    }
    int frames = 0;
    while (left > 0) {
        if (cur.header_read < 2) {
            cur.header[cur.header_read++] = *p++;
            --left;
            if (cur.header_read < 2)
                continue;
            cur.size = cur.header[0] << 8 | cur.header[1];
            cur.data.reset(static_cast<char *>(skynet_malloc(static_cast<size_t>(cur.size))));
            cur.read = 0;
        }
        size_t n = std::min(left, static_cast<size_t>(cur.size - cur.read));
        if (n > 0) {
            std::memcpy(cur.data.get() + cur.read, p, n);
            cur.read += static_cast<int>(n);
            p += n;
            left -= n;
        }
        if (cur.read == cur.size) {
            q->ready.push_back(Frame{fd, std::move(cur.data), cur.size});
            cur = Partial{};
            ++frames;
        }
    }
    if (cur.started())
        q->partial[fd] = std::move(cur);
    return frames;
}

// One frame exactly → "data", fd, msg, sz; anything else completed → "more"
// (frames wait for pop); nothing completed → the queue alone.
int filter_data(lua_State *L, Queue *q, int fd, char *buffer, int size) {
    Block received(buffer); // the socket buffer is ours to free
    if (buffer == nullptr || size <= 0)
        return 1;
    int frames =
        split_frames(q, fd, reinterpret_cast<const uint8_t *>(buffer), static_cast<size_t>(size));
    if (frames == 0)
        return 1;
    if (frames == 1 && q->partial.find(fd) == q->partial.end()) {
        Frame f = std::move(q->ready.back());
        q->ready.pop_back();
        lua_pushliteral(L, "data");
        lua_pushinteger(L, fd);
        lua_pushlightuserdata(L, f.data.release());
        lua_pushinteger(L, f.size);
        return 5;
    }
    lua_pushliteral(L, "more");
    return 2;
}

void drop_partial(Queue *q, int fd) {
    q->partial.erase(fd);
}

// queue, msg, sz → queue[, type, ...]. msg is a skynet_socket_message; the
// caller keeps the first result as the queue for the next call.
int lfilter(lua_State *L) {
    auto *m = static_cast<const skynet_socket_message *>(lua_touserdata(L, 2));
    lua_Integer sz = luaL_checkinteger(L, 3);
    if (m == nullptr)
        return luaL_error(L, "Invalid socket message");
    Queue *q = queue_arg(L);
    lua_settop(L, 1);

    // CONNECT, ACCEPT and ERROR carry their text right after the struct.
    const char *text = reinterpret_cast<const char *>(m + 1);
    lua_Integer textlen = m->buffer == nullptr ? sz - static_cast<lua_Integer>(sizeof(*m)) : 0;
    size_t len = textlen > 0 ? static_cast<size_t>(textlen) : 0;

    switch (m->type) {
    case SKYNET_SOCKET_TYPE_DATA:
        return filter_data(L, q, m->id, m->buffer, m->ud);
    case SKYNET_SOCKET_TYPE_CONNECT:
        lua_pushliteral(L, "init");
        lua_pushinteger(L, m->id);
        lua_pushlstring(L, text, len);
        lua_pushinteger(L, m->ud);
        return 5;
    case SKYNET_SOCKET_TYPE_ACCEPT:
        lua_pushliteral(L, "open");
        lua_pushinteger(L, m->ud);
        lua_pushlstring(L, text, len);
        return 4;
    case SKYNET_SOCKET_TYPE_CLOSE:
        drop_partial(q, m->id);
        lua_pushliteral(L, "close");
        lua_pushinteger(L, m->id);
        return 3;
    case SKYNET_SOCKET_TYPE_ERROR:
        drop_partial(q, m->id);
        lua_pushliteral(L, "error");
        lua_pushinteger(L, m->id);
        lua_pushlstring(L, text, len);
        return 4;
    case SKYNET_SOCKET_TYPE_WARNING:
        lua_pushliteral(L, "warning");
        lua_pushinteger(L, m->id);
        lua_pushinteger(L, m->ud);
        return 4;
    case SKYNET_SOCKET_TYPE_UDP:
        // A gate has no use for datagrams, but the payload is still ours.
        skynet_free(m->buffer);
        return 1;
    default:
        return 1;
    }
}

// queue → fd, msg, sz | none
int lpop(lua_State *L) {
    Queue *q = to_queue(L, 1);
    if (q == nullptr || q->ready.empty())
        return 0;
    Frame f = std::move(q->ready.front());
    q->ready.pop_front();
    lua_pushinteger(L, f.fd);
    lua_pushlightuserdata(L, f.data.release());
    lua_pushinteger(L, f.size);
    return 3;
}

int lclear(lua_State *L) {
    if (Queue *q = to_queue(L, 1))
        q->clear();
    return 0;
}

// string | msg, sz → msg, sz + 2 (a new frame; msg is not freed)
int lpack(lua_State *L) {
    const char *src;
    lua_Integer len;
    if (lua_isuserdata(L, 1)) {
        src = static_cast<const char *>(lua_touserdata(L, 1));
        len = luaL_checkinteger(L, 2);
    } else {
        size_t n = 0;
        src = luaL_checklstring(L, 1, &n);
        len = static_cast<lua_Integer>(n);
    }
    if (len < 0 || len >= kFrameLimit)
        return luaL_error(L, "Invalid size (too long) of data : %d", static_cast<int>(len));
    if (src == nullptr && len > 0)
        return luaL_error(L, "Invalid message block");
    auto *frame = static_cast<uint8_t *>(skynet_malloc(static_cast<size_t>(len) + 2));
    frame[0] = static_cast<uint8_t>(len >> 8);
    frame[1] = static_cast<uint8_t>(len);
    if (len > 0)
        std::memcpy(frame + 2, src, static_cast<size_t>(len));
    lua_pushlightuserdata(L, frame);
    lua_pushinteger(L, len + 2);
    return 2;
}

// msg, sz → string; frees msg
int ltostring(lua_State *L) {
    void *ptr = lua_touserdata(L, 1);
    lua_Integer sz = luaL_checkinteger(L, 2);
    if (ptr == nullptr) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (sz < 0)
        return luaL_error(L, "Invalid size %d", static_cast<int>(sz));
    lua_pushlstring(L, static_cast<const char *>(ptr), static_cast<size_t>(sz));
    skynet_free(ptr);
    return 1;
}

} // namespace

int luaopen_skynet_netpack(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"filter", lfilter}, {"pop", lpop},           {"clear", lclear},
        {"pack", lpack},     {"tostring", ltostring}, {nullptr, nullptr},
    };
    luaL_newlib(L, fns);
    return 1;
}
