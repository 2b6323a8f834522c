// skynet.socketdriver: the Lua face of the socket server, plus the read
// buffer socket.lua keeps per connection.
//
// The read buffer owns the received blocks it is given (no copy) and frees
// them itself: it is a full userdata with __gc, which LuaJIT honours, so
// nothing depends on the `pool` table socket.lua passes along (a plain table,
// whose __gc LuaJIT would ignore). The pool argument is still checked, since
// readline tells "check only" from "consume" by whether it is a table.
#include "modules.h"

#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace {

constexpr int kDefaultBacklog = 32;
constexpr const char *kBufferMeta = "skynet.socketdriver.buffer";

struct FreeBlock {
    void operator()(char *p) const { skynet_free(p); }
};
using Block = std::unique_ptr<char, FreeBlock>;

struct Chunk {
    Block data;
    size_t size;
};

// Where reads spanning several blocks are gathered (one per worker thread,
// kept up to kScratchKeep; larger results get a temporary).
constexpr size_t kScratchKeep = 1 << 20;
thread_local std::vector<char> t_scratch;

// Bytes received on one socket and not yet read by Lua.
class ReadBuffer {
  public:
    size_t size() const { return size_; }

    void push(char *msg, size_t sz) {
        Block block(msg);
        if (sz == 0)
            return;
        chunks_.push_back(Chunk{std::move(block), sz});
        size_ += sz;
    }

    void clear() {
        chunks_.clear();
        offset_ = 0;
        size_ = 0;
    }

    // Removes the first n bytes and pushes the first `keep` of them (keep <= n)
    // as one Lua string. Bytes spanning several blocks are gathered in a
    // scratch area first: lua_pushlstring wants them contiguous, and
    // luaL_Buffer would copy them twice more (piecewise strings, then concat).
    void pop_string(lua_State *L, size_t n, size_t keep) {
        const Chunk &front = chunks_.front();
        if (n <= front.size - offset_) {
            lua_pushlstring(L, front.data.get() + offset_, keep);
            advance(n);
            return;
        }
        if (keep == 0) {
            lua_pushliteral(L, "");
        } else {
            std::unique_ptr<char[]> large;
            char *out;
            if (keep <= kScratchKeep) {
                if (t_scratch.size() < keep)
                    t_scratch.resize(std::max(keep, std::min(t_scratch.size() * 2, kScratchKeep)));
                out = t_scratch.data();
            } else {
                large = std::make_unique_for_overwrite<char[]>(keep);
                out = large.get();
            }
            gather(out, keep);
            lua_pushlstring(L, out, keep);
        }
        skip(n);
    }

    // Removes the first n bytes (n <= size()) into dst.
    void pop_into(char *dst, size_t n) {
        gather(dst, n);
        skip(n);
    }

    // Position of the first `sep` in the unread bytes, or -1.
    ptrdiff_t find(std::string_view sep) const {
        if (sep.size() > size_)
            return -1;
        if (sep.empty())
            return 0;
        size_t base = 0; // unread bytes before chunk ci
        for (size_t ci = 0; ci < chunks_.size(); ++ci) {
            const Chunk &c = chunks_[ci];
            size_t from = ci == 0 ? offset_ : 0;
            const char *p = c.data.get();
            for (size_t i = from; i < c.size; ++i) {
                auto hit = static_cast<const char *>(std::memchr(p + i, sep[0], c.size - i));
                if (hit == nullptr)
                    break;
                i = static_cast<size_t>(hit - p);
                size_t pos = base + (i - from);
                if (pos + sep.size() > size_)
                    return -1;
                if (matches(ci, i, sep))
                    return static_cast<ptrdiff_t>(pos);
            }
            base += c.size - from;
        }
        return -1;
    }

  private:
    // Copies the first n unread bytes (n <= size()) to out.
    void gather(char *out, size_t n) const {
        size_t from = offset_;
        for (const Chunk &c : chunks_) {
            size_t step = std::min(c.size - from, n);
            std::memcpy(out, c.data.get() + from, step);
            out += step;
            n -= step;
            if (n == 0)
                return;
            from = 0;
        }
    }

    // Drops the first n unread bytes (n <= size()).
    void skip(size_t n) {
        while (n > 0) {
            size_t step = std::min(chunks_.front().size - offset_, n);
            n -= step;
            advance(step);
        }
    }

    void advance(size_t n) {
        offset_ += n;
        size_ -= n;
        if (offset_ == chunks_.front().size) {
            chunks_.pop_front();
            offset_ = 0;
        }
    }

    // The caller guarantees sep fits in the unread bytes from (ci, off).
    bool matches(size_t ci, size_t off, std::string_view sep) const {
        while (!sep.empty()) {
            const Chunk &c = chunks_[ci];
            size_t n = std::min(c.size - off, sep.size());
            if (std::memcmp(c.data.get() + off, sep.data(), n) != 0)
                return false;
            sep.remove_prefix(n);
            ++ci;
            off = 0;
        }
        return true;
    }

    std::deque<Chunk> chunks_;
    size_t offset_ = 0; // consumed bytes of the front chunk
    size_t size_ = 0;   // unread bytes
};

skynet_context *context(lua_State *L) {
    return static_cast<skynet_context *>(lua_touserdata(L, lua_upvalueindex(1)));
}

int check_id(lua_State *L, int index) {
    return static_cast<int>(luaL_checkinteger(L, index));
}

// The userdata holds a pointer, so __gc can free the buffer and leave a
// harmless null behind should it run twice (it is reachable by hand too).
using BufferRef = std::unique_ptr<ReadBuffer>;

ReadBuffer *check_buffer(lua_State *L) {
    auto *ref = static_cast<BufferRef *>(luaL_testudata(L, 1, kBufferMeta));
    if (ref == nullptr || !*ref)
        luaL_error(L, "Need buffer object at param 1");
    return ref->get();
}

// --- read buffer ---

int lbuffer_gc(lua_State *L) {
    static_cast<BufferRef *>(luaL_checkudata(L, 1, kBufferMeta))->reset();
    return 0;
}

int lbuffer(lua_State *L) {
    auto *ref = new (lua_newuserdata(L, sizeof(BufferRef))) BufferRef();
    if (luaL_newmetatable(L, kBufferMeta)) {
        lua_pushcfunction(L, lbuffer_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    *ref = std::make_unique<ReadBuffer>();
    return 1;
}

// buffer, pool, msg, sz → total buffered bytes. The buffer owns msg afterwards.
int lpush(lua_State *L) {
    ReadBuffer *sb = check_buffer(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    void *msg = lua_touserdata(L, 3);
    if (msg == nullptr)
        return luaL_error(L, "Need message block at param 3");
    lua_Integer sz = luaL_checkinteger(L, 4);
    if (sz < 0)
        return luaL_error(L, "Invalid message size %d", static_cast<int>(sz));
    sb->push(static_cast<char *>(msg), static_cast<size_t>(sz));
    lua_pushinteger(L, static_cast<lua_Integer>(sb->size()));
    return 1;
}

// buffer, pool, sz → string | nil, remaining
int lpop(lua_State *L) {
    ReadBuffer *sb = check_buffer(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer sz = luaL_checkinteger(L, 3);
    if (sz <= 0 || static_cast<size_t>(sz) > sb->size())
        lua_pushnil(L);
    else
        sb->pop_string(L, static_cast<size_t>(sz), static_cast<size_t>(sz));
    lua_pushinteger(L, static_cast<lua_Integer>(sb->size()));
    return 2;
}

// buffer, pool, sz → msg | nil, remaining: the bytes in a skynet_malloc'd
// block the caller owns, for payloads that are better not Lua strings.
int lpopmsg(lua_State *L) {
    ReadBuffer *sb = check_buffer(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer sz = luaL_checkinteger(L, 3);
    if (sz < 0 || static_cast<size_t>(sz) > sb->size()) {
        lua_pushnil(L);
    } else {
        auto *msg = static_cast<char *>(skynet_malloc(sz > 0 ? static_cast<size_t>(sz) : 1));
        sb->pop_into(msg, static_cast<size_t>(sz));
        lua_pushlightuserdata(L, msg);
    }
    lua_pushinteger(L, static_cast<lua_Integer>(sb->size()));
    return 2;
}

int lreadall(lua_State *L) {
    ReadBuffer *sb = check_buffer(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (sb->size() == 0)
        lua_pushliteral(L, "");
    else
        sb->pop_string(L, sb->size(), sb->size());
    return 1;
}

// buffer, pool | nil, sep → line | true | none. Without a pool table it only
// reports whether a whole line is buffered.
int lreadline(lua_State *L) {
    ReadBuffer *sb = check_buffer(L);
    bool check_only = !lua_istable(L, 2);
    size_t seplen = 0;
    const char *sep = luaL_checklstring(L, 3, &seplen);
    if (sb->size() == 0)
        return 0;
    ptrdiff_t pos = sb->find(std::string_view(sep, seplen));
    if (pos < 0)
        return 0;
    if (check_only) {
        lua_pushboolean(L, 1);
    } else {
        auto line = static_cast<size_t>(pos);
        sb->pop_string(L, line + seplen, line);
    }
    return 1;
}

int lclear(lua_State *L) {
    if (lua_isnoneornil(L, 1))
        return 0;
    ReadBuffer *sb = check_buffer(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    sb->clear();
    return 0;
}

// --- raw messages ---

int ldrop(lua_State *L) {
    void *msg = lua_touserdata(L, 1);
    luaL_checkinteger(L, 2);
    skynet_free(msg);
    return 0;
}

int lstr2p(lua_State *L) {
    size_t sz = 0;
    const char *str = luaL_checklstring(L, 1, &sz);
    void *ptr = skynet_malloc(sz);
    std::memcpy(ptr, str, sz);
    lua_pushlightuserdata(L, ptr);
    lua_pushinteger(L, static_cast<lua_Integer>(sz));
    return 2;
}

// 1..4 big-endian bytes → integer
int lheader(lua_State *L) {
    size_t len = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    if (len < 1 || len > 4)
        return luaL_error(L, "Invalid read %s", s);
    uint32_t v = 0;
    for (size_t i = 0; i < len; ++i)
        v = v << 8 | static_cast<uint8_t>(s[i]);
    lua_pushinteger(L, static_cast<lua_Integer>(v));
    return 1;
}

// msg, sz → type, id, ud, data[, udp address]
int lunpack(lua_State *L) {
    auto *m = static_cast<const skynet_socket_message *>(lua_touserdata(L, 1));
    lua_Integer sz = luaL_checkinteger(L, 2);
    if (m == nullptr)
        return luaL_error(L, "Invalid socket message");
    lua_pushinteger(L, m->type);
    lua_pushinteger(L, m->id);
    lua_pushinteger(L, m->ud);
    if (m->buffer == nullptr) {
        // The text (address, error) is stored right after the struct.
        lua_Integer len = sz - static_cast<lua_Integer>(sizeof(*m));
        lua_pushlstring(L, reinterpret_cast<const char *>(m + 1),
                        len > 0 ? static_cast<size_t>(len) : 0);
    } else {
        lua_pushlightuserdata(L, m->buffer);
    }
    if (m->type == SKYNET_SOCKET_TYPE_UDP) {
        int addrsz = 0;
        const char *addr =
            skynet_socket_udp_address(const_cast<skynet_socket_message *>(m), &addrsz);
        if (addr != nullptr) {
            lua_pushlstring(L, addr, static_cast<size_t>(addrsz));
            return 5;
        }
    }
    return 4;
}

// --- addresses ---

int parse_port(lua_State *L, const char *s, const char *addr) {
    errno = 0;
    char *end = nullptr;
    unsigned long port = std::strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || port > UINT16_MAX)
        luaL_error(L, "Invalid port in address %s.", addr);
    return static_cast<int>(port);
}

// Reads the address at addr_index with the optional port at port_index:
// "host" + port, or "host:port" / "[v6]:port" when the port is absent.
// Pushes the host as a Lua string (so it lives on the stack) and returns it.
const char *host_port(lua_State *L, int addr_index, int port_index, int *port) {
    const char *addr = luaL_checkstring(L, addr_index);
    if (!lua_isnoneornil(L, port_index)) {
        *port = static_cast<int>(luaL_checkinteger(L, port_index));
        lua_pushvalue(L, addr_index);
        return addr;
    }
    const char *colon;
    if (const char *open = std::strchr(addr, '['); open != nullptr) {
        const char *close = std::strchr(open, ']');
        if (close == nullptr)
            luaL_error(L, "Invalid address %s.", addr);
        colon = std::strchr(close + 1, ':');
        if (colon == nullptr)
            luaL_error(L, "Invalid address %s.", addr);
        lua_pushlstring(L, open + 1, static_cast<size_t>(close - open - 1));
    } else {
        colon = std::strchr(addr, ':');
        if (colon == nullptr)
            luaL_error(L, "Invalid address %s.", addr);
        lua_pushlstring(L, addr, static_cast<size_t>(colon - addr));
    }
    *port = parse_port(L, colon + 1, addr);
    return lua_tostring(L, -1);
}

// --- context-bound calls ---

int lconnect(lua_State *L) {
    int port = 0;
    const char *host = host_port(L, 1, 2, &port);
    if (port <= 0 || port > UINT16_MAX)
        return luaL_error(L, "Invalid port");
    lua_pushinteger(L, skynet_socket_connect(context(L), host, port));
    return 1;
}

int llisten(lua_State *L) {
    int port = 0;
    const char *host = host_port(L, 1, 2, &port);
    int backlog = static_cast<int>(luaL_optinteger(L, 3, kDefaultBacklog));
    int id = skynet_socket_listen(context(L), host, port, backlog);
    if (id < 0)
        return luaL_error(L, "Listen error");
    lua_pushinteger(L, id);
    return 1;
}

int lclose(lua_State *L) {
    skynet_socket_close(context(L), check_id(L, 1));
    return 0;
}

int lshutdown(lua_State *L) {
    skynet_socket_shutdown(context(L), check_id(L, 1));
    return 0;
}

int lbind(lua_State *L) {
    lua_pushinteger(L, skynet_socket_bind(context(L), check_id(L, 1)));
    return 1;
}

int lstart(lua_State *L) {
    skynet_socket_start(context(L), check_id(L, 1));
    return 0;
}

int lpause(lua_State *L) {
    skynet_socket_pause(context(L), check_id(L, 1));
    return 0;
}

int lnodelay(lua_State *L) {
    skynet_socket_nodelay(context(L), check_id(L, 1));
    return 0;
}

// A table of strings is joined into one skynet_malloc'd block.
void table_buffer(lua_State *L, int index, socket_sendbuffer *buf) {
    size_t total = 0;
    for (int i = 1;; ++i) {
        lua_rawgeti(L, index, i);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
        }
        size_t len = 0;
        if (!lua_isstring(L, -1) || lua_tolstring(L, -1, &len) == nullptr)
            luaL_error(L, "Invalid strings table");
        total += len;
        lua_pop(L, 1);
    }
    auto *out = static_cast<char *>(skynet_malloc(total));
    size_t at = 0;
    for (int i = 1; at < total; ++i) {
        lua_rawgeti(L, index, i);
        size_t len = 0;
        const char *s = lua_tolstring(L, -1, &len);
        std::memcpy(out + at, s, len);
        at += len;
        lua_pop(L, 1);
    }
    buf->type = SOCKET_BUFFER_MEMORY;
    buf->buffer = out;
    buf->sz = total;
}

// Data to send at index: string (copied by the server only if it cannot be
// written at once), msg+sz (ownership passes), lightuserdata alone (a user
// object), table of strings, or full userdata (raw bytes, size optional).
void send_buffer(lua_State *L, int index, socket_sendbuffer *buf) {
    switch (lua_type(L, index)) {
    case LUA_TUSERDATA:
        buf->type = SOCKET_BUFFER_RAWPOINTER;
        buf->buffer = lua_touserdata(L, index);
        if (lua_type(L, index + 1) == LUA_TNUMBER)
            buf->sz = static_cast<size_t>(lua_tointeger(L, index + 1));
        else
            buf->sz = lua_objlen(L, index);
        break;
    case LUA_TLIGHTUSERDATA: {
        lua_Integer sz = -1;
        if (lua_type(L, index + 1) == LUA_TNUMBER)
            sz = lua_tointeger(L, index + 1);
        buf->type = sz < 0 ? SOCKET_BUFFER_OBJECT : SOCKET_BUFFER_MEMORY;
        buf->buffer = lua_touserdata(L, index);
        buf->sz = static_cast<size_t>(sz);
        break;
    }
    case LUA_TTABLE:
        table_buffer(L, index, buf);
        break;
    default:
        buf->type = SOCKET_BUFFER_RAWPOINTER;
        buf->buffer = luaL_checklstring(L, index, &buf->sz);
        break;
    }
}

int lsend(lua_State *L) {
    socket_sendbuffer buf{};
    buf.id = check_id(L, 1);
    send_buffer(L, 2, &buf);
    lua_pushboolean(L, skynet_socket_sendbuffer(context(L), &buf) == 0);
    return 1;
}

int llsend(lua_State *L) {
    socket_sendbuffer buf{};
    buf.id = check_id(L, 1);
    send_buffer(L, 2, &buf);
    lua_pushboolean(L, skynet_socket_sendbuffer_lowpriority(context(L), &buf) == 0);
    return 1;
}

int ludp(lua_State *L) {
    int port = 0;
    const char *host = nullptr;
    if (!lua_isnoneornil(L, 1))
        host = host_port(L, 1, 2, &port);
    int id = skynet_socket_udp(context(L), host, port);
    if (id < 0)
        return luaL_error(L, "udp init failed");
    lua_pushinteger(L, id);
    return 1;
}

int ludp_connect(lua_State *L) {
    int id = check_id(L, 1);
    int port = 0;
    const char *host = host_port(L, 2, 3, &port);
    if (skynet_socket_udp_connect(context(L), id, host, port) != 0)
        return luaL_error(L, "udp connect failed");
    return 0;
}

int ludp_dial(lua_State *L) {
    int port = 0;
    const char *host = host_port(L, 1, 2, &port);
    int id = skynet_socket_udp_dial(context(L), host, port);
    if (id < 0)
        return luaL_error(L, "udp dial host failed");
    lua_pushinteger(L, id);
    return 1;
}

int ludp_listen(lua_State *L) {
    int port = 0;
    const char *host = host_port(L, 1, 2, &port);
    int id = skynet_socket_udp_listen(context(L), host, port);
    if (id < 0)
        return luaL_error(L, "udp listen host failed");
    lua_pushinteger(L, id);
    return 1;
}

int ludp_send(lua_State *L) {
    int id = check_id(L, 1);
    const char *address = luaL_checkstring(L, 2);
    socket_sendbuffer buf{};
    buf.id = id;
    send_buffer(L, 3, &buf);
    lua_pushboolean(L, skynet_socket_udp_sendbuffer(context(L), address, &buf) == 0);
    return 1;
}

// --- context-free queries ---

// Raw udp address (protocol byte, port in network order, 4 or 16 address
// bytes) → ip, port
int ludp_address(lua_State *L) {
    size_t sz = 0;
    const char *addr = luaL_checklstring(L, 1, &sz);
    int family;
    if (sz == 1 + 2 + 4)
        family = AF_INET;
    else if (sz == 1 + 2 + 16)
        family = AF_INET6;
    else
        return luaL_error(L, "Invalid udp address");
    uint16_t port = 0;
    std::memcpy(&port, addr + 1, sizeof(port));
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(family, addr + 3, text, sizeof(text)) == nullptr)
        return luaL_error(L, "Invalid udp address");
    lua_pushstring(L, text);
    lua_pushinteger(L, ntohs(port));
    return 2;
}

void set_integer(lua_State *L, const char *key, lua_Integer v) {
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

void set_string(lua_State *L, const char *key, const char *v) {
    lua_pushstring(L, v);
    lua_setfield(L, -2, key);
}

const char *info_type(int type) {
    switch (type) {
    case SOCKET_INFO_LISTEN:
        return "LISTEN";
    case SOCKET_INFO_TCP:
        return "TCP";
    case SOCKET_INFO_UDP:
        return "UDP";
    case SOCKET_INFO_BIND:
        return "BIND";
    case SOCKET_INFO_CLOSING:
        return "CLOSING";
    default:
        return nullptr;
    }
}

void push_info(lua_State *L, const socket_info *si) {
    lua_createtable(L, 0, 12);
    set_integer(L, "id", si->id);
    set_integer(L, "address", static_cast<lua_Integer>(si->opaque));
    const char *type = info_type(si->type);
    set_string(L, "type", type != nullptr ? type : "UNKNOWN");
    bool named = si->name[0] != '\0';
    if (si->type == SOCKET_INFO_LISTEN) {
        set_integer(L, "accept", static_cast<lua_Integer>(si->read));
        set_integer(L, "rtime", static_cast<lua_Integer>(si->rtime));
        if (named)
            set_string(L, "sock", si->name);
        return;
    }
    if (type == nullptr)
        return;
    set_integer(L, "read", static_cast<lua_Integer>(si->read));
    set_integer(L, "write", static_cast<lua_Integer>(si->write));
    set_integer(L, "wbuffer", static_cast<lua_Integer>(si->wbuffer));
    set_integer(L, "rtime", static_cast<lua_Integer>(si->rtime));
    set_integer(L, "wtime", static_cast<lua_Integer>(si->wtime));
    lua_pushboolean(L, si->reading);
    lua_setfield(L, -2, "reading");
    lua_pushboolean(L, si->writing);
    lua_setfield(L, -2, "writing");
    if (named)
        set_string(L, "peer", si->name);
}

int linfo(lua_State *L) {
    std::unique_ptr<socket_info, void (*)(socket_info *)> list(skynet_socket_info(),
                                                               socket_info_release);
    lua_newtable(L);
    int n = 0;
    for (const socket_info *si = list.get(); si != nullptr; si = si->next) {
        push_info(L, si);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

// host → {ip...}, every getaddrinfo result in order (zero hints, so one per
// socket type).
int lresolve(lua_State *L) {
    const char *host = luaL_checkstring(L, 1);
    addrinfo hints{};
    addrinfo *list = nullptr;
    int status = getaddrinfo(host, nullptr, &hints, &list);
    if (status != 0)
        return luaL_error(L, "%s", gai_strerror(status));
    lua_newtable(L);
    int n = 0;
    char text[INET6_ADDRSTRLEN];
    for (const addrinfo *ai = list; ai != nullptr; ai = ai->ai_next) {
        const void *src;
        if (ai->ai_family == AF_INET)
            src = &reinterpret_cast<const sockaddr_in *>(ai->ai_addr)->sin_addr;
        else if (ai->ai_family == AF_INET6)
            src = &reinterpret_cast<const sockaddr_in6 *>(ai->ai_addr)->sin6_addr;
        else
            continue;
        if (inet_ntop(ai->ai_family, src, text, sizeof(text)) != nullptr) {
            lua_pushstring(L, text);
            lua_rawseti(L, -2, ++n);
        }
    }
    freeaddrinfo(list);
    return 1;
}

} // namespace

int luaopen_skynet_socketdriver(lua_State *L) {
    static const luaL_Reg free_fns[] = {
        {"buffer", lbuffer},
        {"push", lpush},
        {"pop", lpop},
        {"popmsg", lpopmsg},
        {"readall", lreadall},
        {"readline", lreadline},
        {"clear", lclear},
        {"drop", ldrop},
        {"str2p", lstr2p},
        {"header", lheader},
        {"unpack", lunpack},
        {"info", linfo},
        {"udp_address", ludp_address},
        {"resolve", lresolve},
        {nullptr, nullptr},
    };
    static const luaL_Reg context_fns[] = {
        {"connect", lconnect},   {"listen", llisten},
        {"close", lclose},       {"shutdown", lshutdown},
        {"send", lsend},         {"lsend", llsend},
        {"bind", lbind},         {"start", lstart},
        {"pause", lpause},       {"nodelay", lnodelay},
        {"udp", ludp},           {"udp_connect", ludp_connect},
        {"udp_dial", ludp_dial}, {"udp_listen", ludp_listen},
        {"udp_send", ludp_send}, {nullptr, nullptr},
    };
    lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
    void *ctx = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (ctx == nullptr)
        return luaL_error(L, "Init skynet context first");

    lua_createtable(L, 0, 28);
    luaL_setfuncs(L, free_fns, 0);
    lua_pushlightuserdata(L, ctx);
    luaL_setfuncs(L, context_fns, 1);
    return 1;
}
