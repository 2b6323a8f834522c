// The socket server: one libuv loop, run by the socket thread, owns every
// socket. Callers on any thread reserve ids synchronously and queue commands
// (one mutex, one uv_async wake-up per batch); the loop does all I/O and
// reports events through socket_hooks. States, event texts, write queues and
// warnings follow upstream skynet's socket server.
#include "socket_server.h"

#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <uv.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace skynet {
namespace {

constexpr int MIN_READ_BUFFER = 64;
// Upstream lets the read size double without bound. Past 64 KiB a single
// read exceeds half of socket.lua's 128 KiB pause threshold, so a fast
// stream pauses and resumes its socket on nearly every message, and the
// big blocks cost fresh pages instead of recycled ones.
constexpr int MAX_READ_BUFFER = 64 * 1024;
constexpr int64_t WARNING_SIZE = 1024 * 1024;
constexpr size_t MAX_INFO = 128;
constexpr size_t UDP_ADDRESS_SIZE = 19;
constexpr size_t MAX_UDP_PACKAGE = 65535;
constexpr int MAX_IOV = 64;      // buffers coalesced into one writev
constexpr int ACCEPT_BATCH = 32; // accepts per readiness event
// Smaller sends go through the loop even when the socket is idle: a burst of
// them (requests and replies of many callers) is coalesced into one writev
// there, where a system call per message from the workers measured ~35% slower
// on cluster_call. Large ones gain from skipping the hand-over.
constexpr size_t direct_write_min = 4096;

enum class socket_type : uint8_t {
    invalid,
    reserve,
    plisten,
    listen,
    connecting,
    connected,
    halfclose_read,
    halfclose_write,
    paccept,
    bind,
};

// The values are the first byte of a UDP address, as upstream encodes it.
enum class protocol : uint8_t { tcp = 0, udp = 1, udpv6 = 2 };

enum class handle_kind : uint8_t { none, tcp, udp, pipe, tty, poll };

enum class op : uint8_t {
    listen,
    connect,
    bind,
    start,
    pause,
    close,
    shutdown,
    nodelay,
    send_high,
    send_low,
    send_udp,
    send_rest,
    udp_open,
    udp_dial,
    udp_peer,
    info,
    exit,
};

size_t udp_address_size(uint8_t proto) {
    switch (static_cast<protocol>(proto)) {
    case protocol::udp:
        return 1 + 2 + 4;
    case protocol::udpv6:
        return 1 + 2 + 16;
    default:
        return 0;
    }
}

size_t gen_udp_address(const sockaddr *sa, uint8_t *out) {
    if (sa->sa_family == AF_INET) {
        auto *v4 = reinterpret_cast<const sockaddr_in *>(sa);
        out[0] = static_cast<uint8_t>(protocol::udp);
        std::memcpy(out + 1, &v4->sin_port, 2);
        std::memcpy(out + 3, &v4->sin_addr, 4);
        return 7;
    }
    auto *v6 = reinterpret_cast<const sockaddr_in6 *>(sa);
    out[0] = static_cast<uint8_t>(protocol::udpv6);
    std::memcpy(out + 1, &v6->sin6_port, 2);
    std::memcpy(out + 3, &v6->sin6_addr, 16);
    return 19;
}

bool udp_sockaddr(protocol proto, const uint8_t *address, sockaddr_storage &sa) {
    if (address[0] != static_cast<uint8_t>(proto))
        return false;
    std::memset(&sa, 0, sizeof(sa));
    if (proto == protocol::udp) {
        auto *v4 = reinterpret_cast<sockaddr_in *>(&sa);
        v4->sin_family = AF_INET;
        std::memcpy(&v4->sin_port, address + 1, 2);
        std::memcpy(&v4->sin_addr, address + 3, 4);
        return true;
    }
    if (proto == protocol::udpv6) {
        auto *v6 = reinterpret_cast<sockaddr_in6 *>(&sa);
        v6->sin6_family = AF_INET6;
        std::memcpy(&v6->sin6_port, address + 1, 2);
        std::memcpy(&v6->sin6_addr, address + 3, 16);
        return true;
    }
    return false;
}

// "ip" (with_port false) or "ip:port"; "" when the family is unknown.
std::string address_text(const sockaddr *sa, bool with_port) {
    char ip[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        auto *v4 = reinterpret_cast<const sockaddr_in *>(sa);
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
        port = ntohs(v4->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        auto *v6 = reinterpret_cast<const sockaddr_in6 *>(sa);
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
        port = ntohs(v6->sin6_port);
    } else {
        return {};
    }
    return with_port ? std::string(ip) + ":" + std::to_string(port) : std::string(ip);
}

struct addrinfo_deleter {
    void operator()(addrinfo *ai) const { freeaddrinfo(ai); }
};
using addrinfo_ptr = std::unique_ptr<addrinfo, addrinfo_deleter>;

// getaddrinfo with upstream's hints; the status is getaddrinfo's.
int resolve(const char *host, int port, int socktype, addrinfo_ptr &out) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_protocol = socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    addrinfo *list = nullptr;
    int status = getaddrinfo(host, std::to_string(port).c_str(), &hints, &list);
    out.reset(status == 0 ? list : nullptr);
    return status;
}

// A socket bound (SO_REUSEADDR) to host:port; host ""/NULL is 0.0.0.0.
int bind_socket(const char *host, int port, int socktype, int &family) {
    if (host == nullptr || host[0] == '\0')
        host = "0.0.0.0";
    addrinfo_ptr ai;
    if (resolve(host, port, socktype, ai) != 0 || !ai)
        return -1;
    family = ai->ai_family;
    int fd = ::socket(family, socktype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int reuse = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) != 0 ||
        ::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void set_keepalive(int fd) {
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
}

struct write_buffer {
    write_buffer *next;
    void *buffer; // skynet_malloc'd, freed once written or dropped
    char *ptr;
    size_t sz;
    uint8_t udp_address[UDP_ADDRESS_SIZE];
};

struct wb_list {
    write_buffer *head = nullptr;
    write_buffer *tail = nullptr;

    bool empty() const { return head == nullptr; }
    void push_front(write_buffer *wb) {
        wb->next = head;
        head = wb;
        if (tail == nullptr)
            tail = wb;
    }
    void push_back(write_buffer *wb) {
        wb->next = nullptr;
        if (tail)
            tail->next = wb;
        else
            head = wb;
        tail = wb;
    }
    write_buffer *pop_front() {
        write_buffer *wb = head;
        head = wb->next;
        if (head == nullptr)
            tail = nullptr;
        return wb;
    }
};

// Nodes are recycled: a busy socket queues and retires one per send.
class wb_pool {
  public:
    write_buffer *get() {
        if (free_ == nullptr)
            grow();
        write_buffer *wb = free_;
        free_ = wb->next;
        return wb;
    }
    // Frees the payload and recycles the node.
    void retire(write_buffer *wb) {
        skynet_free(wb->buffer);
        wb->buffer = nullptr;
        wb->next = free_;
        free_ = wb;
    }
    void retire_all(wb_list &list) {
        while (!list.empty())
            retire(list.pop_front());
    }

  private:
    static constexpr int CHUNK = 256;
    void grow() {
        chunks_.push_back(std::make_unique<write_buffer[]>(CHUNK));
        write_buffer *chunk = chunks_.back().get();
        for (int i = 0; i < CHUNK; i++) {
            chunk[i].buffer = nullptr;
            chunk[i].next = free_;
            free_ = &chunk[i];
        }
    }
    std::vector<std::unique_ptr<write_buffer[]>> chunks_;
    write_buffer *free_ = nullptr;
};

struct command {
    explicit command(op w) : what(w) {}
    op what;
    int id = 0;
    int fd = -1;
    int port = 0;
    int family = AF_INET;
    uint32_t owner = 0;
    void *buffer = nullptr;
    size_t sz = 0;
    uint8_t address[UDP_ADDRESS_SIZE] = {};
    std::string host;
    std::promise<socket_info *> *reply = nullptr;
};

} // namespace

struct sock;

struct socket_server::impl {
    // A slot is shared with callers (reservation, fast validity checks); the
    // sock behind it belongs to the loop thread.
    struct slot {
        std::atomic<int> id{0};
        std::atomic<socket_type> type{socket_type::invalid};
        std::atomic<bool> closing{false};
        // Upstream's direct write: while the loop has nothing queued for a
        // connected TCP socket, a sender writes to the fd itself, saving the
        // copy and the hand-over. `direct` is only set and cleared by the
        // loop, under `wlock`; a sender writes only while holding `wlock`
        // with `direct` set and no command of its kind pending, so the loop
        // and senders never write (or close the fd) at the same time.
        std::atomic<bool> direct{false};
        std::atomic<int> pending{0}; // sends/closes queued, not yet taken by the loop
        std::atomic<uint64_t> direct_bytes{0};
        std::atomic<uint64_t> direct_wtime{0};
        std::mutex wlock;
        int fd = -1; // guarded by wlock, meaningful while direct
        // What a partial direct write left over (guarded by wlock); the
        // loop puts it first in line before anything else is queued.
        void *rest = nullptr;
        char *rest_ptr = nullptr;
        size_t rest_sz = 0;
        std::unique_ptr<sock> s;
    };

    struct resolve_job {
        uv_work_t req;
        impl *server;
        int id;
        int port;
        std::string host;
        int status = 0;
        std::vector<sockaddr_storage> addrs;
    };

    impl(socket_hooks h, int max);
    ~impl();

    // any thread
    int reserve_id();
    slot &slot_of(int id) { return slots[static_cast<unsigned>(id) % max_socket]; }
    socket_type peek(int id);
    bool push(command &&c);
    bool push_counted(command &&c);
    void discard(command &c);
    void logf(const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    int submit_send(socket_sendbuffer *buf, op what, const uint8_t *address);
    bool try_direct(socket_sendbuffer *buf);
    int submit_udp(uint32_t owner, int fd, int family, const uint8_t *peer);
    socket_info *info();

    // loop thread
    void on_commands();
    void dispatch(command &c);
    void shutdown_all();
    sock *find(int id);
    sock &attach(int id, uint32_t owner, protocol proto);
    void release_slot(int id);
    void set_type(sock &s, socket_type t);
    void take_pending(int id);
    void allow_direct(sock &s);
    void stop_direct(int id);
    void force_close(sock &s);
    void discard_handle(sock &s);
    void emit(uint32_t owner, int type, int id, int ud, void *data);
    void emit_text(uint32_t owner, int type, int id, int ud, const char *text);
    void stat_read(sock &s, size_t n);
    void stat_write(sock &s, size_t n);

    void open_listener(command &c);
    void accept_pending(sock &ls, int status);
    void adopt_accepted(sock &ls, int fd, const sockaddr_storage &addr);
    void shed_connection(sock &ls);
    void open_connection(command &c);
    void resolved(resolve_job &job);
    void try_connect(sock &s);
    void connected(sock &s);
    void fail_connect(sock &s, const char *why);
    void adopt_fd(command &c);
    void open_udp(command &c, bool with_peer);
    void set_udp_peer(command &c);
    void start(command &c);
    void pause(command &c);
    void close(command &c, bool now);
    void nodelay(command &c);

    int apply_reading(sock &s);
    void close_read(sock &s);
    void received(sock &s, ssize_t n, const uv_buf_t *buf);
    void peer_eof(sock &s);
    void udp_received(sock &s, ssize_t n, const sockaddr *addr);

    void queue_send(command &c, bool low, const uint8_t *address);
    void flush_dirty();
    void flush(sock &s);
    void flush_stream(sock &s);
    void write_async(sock &s, wb_list &list);
    void written(sock &s, int status);
    void consume(sock &s, wb_list &list, size_t bytes);
    void write_failed(sock &s, int err);
    void flush_udp(sock &s);
    void udp_sent(sock &s, int status);
    void drained(sock &s);
    void check_warning(sock &s);

    socket_info *collect_info();

    socket_hooks hooks;
    const int max_socket;
    std::unique_ptr<slot[]> slots;
    std::atomic<uint32_t> alloc_id{0};
    std::atomic<uint64_t> now{0};

    uv_loop_t loop;
    uv_async_t async;
    uv_prepare_t prepare;

    std::mutex mutex;
    std::vector<command> queue; // guarded by mutex
    bool stopped = false;       // guarded: exit processed, commands refused
    bool looping = false;       // guarded: run() is inside uv_run

    // loop thread only
    std::vector<command> batch;
    std::vector<int> dirty;
    std::unordered_set<resolve_job *> resolving;
    wb_pool pool;
    bool exiting = false;
    bool shut = false;
    bool need_wakeup = false;
    int reserve_fd = -1; // closed to accept-and-drop on EMFILE
    std::unique_ptr<char[]> udp_buffer;
};

namespace {

bool pending_writes(const sock &s);

} // namespace

struct sock {
    sock(socket_server::impl *srv, int i, uint32_t o, protocol p)
        : server(srv), id(i), owner(o), proto(p) {}
    ~sock() {
        server->pool.retire_all(high);
        server->pool.retire_all(low);
        server->pool.retire_all(flight);
    }
    sock(const sock &) = delete;
    sock &operator=(const sock &) = delete;

    uv_stream_t *stream() { return &h->stream; }
    int os_fd() const {
        uv_os_fd_t fd = -1;
        if (kind == handle_kind::poll)
            return listen_fd;
        if (h && uv_fileno(&h->handle, &fd) == 0)
            return fd;
        return -1;
    }

    socket_server::impl *server;
    int id;
    uint32_t owner;
    protocol proto;
    socket_type type = socket_type::reserve;
    handle_kind kind = handle_kind::none;
    std::unique_ptr<uv_any_handle> h;
    int listen_fd = -1;   // a listener's fd: uv_poll does not own it
    bool reading = true;  // what the owner asked for
    bool polling = false; // what libuv is doing
    bool closing = false; // close() requested: flush, then close
    bool closed = false;  // handed to uv_close; memory lives until its callback
    bool dirty = false;   // queued in impl::dirty
    bool in_flight = false;
    int read_size = MIN_READ_BUFFER;
    wb_list high, low, flight; // flight: handed to uv_write / uv_udp_send
    int64_t wb_size = 0;
    int64_t warn_size = 0;
    uint64_t read = 0, write = 0, rtime = 0, wtime = 0;
    uint8_t udp_address[UDP_ADDRESS_SIZE] = {};
    std::vector<sockaddr_storage> targets; // connect candidates, tried in order
    size_t next_target = 0;
    int last_error = 0;
    uv_write_t write_req;
    uv_udp_send_t send_req;
    uv_connect_t connect_req;
};

namespace {

using impl = socket_server::impl;

bool pending_writes(const sock &s) {
    return !s.high.empty() || !s.low.empty() || s.in_flight;
}

bool nothing_to_send(const sock &s) {
    return !pending_writes(s) || s.type == socket_type::halfclose_write;
}

bool can_read(socket_type t) {
    return t == socket_type::listen || t == socket_type::connected ||
           t == socket_type::halfclose_write || t == socket_type::bind;
}

bool can_write(socket_type t) {
    return t == socket_type::connected || t == socket_type::halfclose_read ||
           t == socket_type::bind;
}

sock &owner_of(uv_handle_t *h) {
    return *static_cast<sock *>(h->data);
}

void on_async(uv_async_t *h) {
    static_cast<impl *>(h->data)->on_commands();
}

void on_prepare(uv_prepare_t *h) {
    auto *ss = static_cast<impl *>(h->data);
    if (ss->need_wakeup) {
        ss->need_wakeup = false;
        ss->hooks.wakeup();
    }
}

void on_sock_closed(uv_handle_t *h) {
    std::unique_ptr<sock> gone(static_cast<sock *>(h->data));
}

void on_husk_closed(uv_handle_t *h) {
    std::unique_ptr<uv_any_handle> gone(reinterpret_cast<uv_any_handle *>(h));
}

void on_acceptable(uv_poll_t *h, int status, int) {
    sock &s = owner_of(reinterpret_cast<uv_handle_t *>(h));
    s.server->accept_pending(s, status);
}

void on_alloc(uv_handle_t *h, size_t, uv_buf_t *buf) {
    sock &s = owner_of(h);
    buf->base = static_cast<char *>(skynet_malloc(s.read_size));
    buf->len = buf->base ? s.read_size : 0;
}

void on_read(uv_stream_t *h, ssize_t n, const uv_buf_t *buf) {
    sock &s = owner_of(reinterpret_cast<uv_handle_t *>(h));
    s.server->received(s, n, buf);
}

void on_udp_alloc(uv_handle_t *h, size_t, uv_buf_t *buf) {
    sock &s = owner_of(h);
    buf->base = s.server->udp_buffer.get();
    buf->len = MAX_UDP_PACKAGE;
}

void on_udp_read(uv_udp_t *h, ssize_t n, const uv_buf_t *, const sockaddr *addr, unsigned) {
    sock &s = owner_of(reinterpret_cast<uv_handle_t *>(h));
    s.server->udp_received(s, n, addr);
}

void on_connected(uv_connect_t *req, int status) {
    sock &s = *static_cast<sock *>(req->data);
    if (s.closed)
        return;
    if (status < 0) {
        s.last_error = status;
        s.server->try_connect(s);
        return;
    }
    s.server->connected(s);
}

void on_written(uv_write_t *req, int status) {
    sock &s = *static_cast<sock *>(req->data);
    if (!s.closed) // a closed sock's flight list dies with it
        s.server->written(s, status);
}

void on_udp_sent(uv_udp_send_t *req, int status) {
    sock &s = *static_cast<sock *>(req->data);
    if (!s.closed)
        s.server->udp_sent(s, status);
}

void resolve_work(uv_work_t *req) {
    auto *job = static_cast<impl::resolve_job *>(req->data);
    addrinfo_ptr ai;
    job->status = resolve(job->host.c_str(), job->port, SOCK_STREAM, ai);
    for (addrinfo *p = ai.get(); p; p = p->ai_next) {
        if (p->ai_family != AF_INET && p->ai_family != AF_INET6)
            continue;
        sockaddr_storage sa{};
        std::memcpy(&sa, p->ai_addr, p->ai_addrlen);
        job->addrs.push_back(sa);
    }
}

void resolve_done(uv_work_t *req, int status) {
    std::unique_ptr<impl::resolve_job> job(static_cast<impl::resolve_job *>(req->data));
    job->server->resolving.erase(job.get());
    if (status == 0)
        job->server->resolved(*job);
}

} // namespace

// ---- construction, commands (any thread) ----

socket_server::impl::impl(socket_hooks h, int max)
    : hooks(std::move(h)), max_socket(max > 0 ? max : 65536),
      slots(std::make_unique<slot[]>(max_socket)),
      udp_buffer(std::make_unique<char[]>(MAX_UDP_PACKAGE)) {
    if (!hooks.deliver)
        hooks.deliver = [](uint32_t, skynet_socket_message *msg, size_t) {
            skynet_free(msg->buffer);
            skynet_free(msg);
        };
    if (!hooks.wakeup)
        hooks.wakeup = [] {};
    if (!hooks.log)
        hooks.log = [](const char *line) { std::fprintf(stderr, "%s\n", line); };
    int err = uv_loop_init(&loop);
    if (err) {
        std::fprintf(stderr, "socket-server: create event loop failed: %s\n", uv_strerror(err));
        std::abort();
    }
    uv_async_init(&loop, &async, on_async);
    async.data = this;
    uv_prepare_init(&loop, &prepare);
    prepare.data = this;
    uv_prepare_start(&prepare, on_prepare);
    uv_unref(reinterpret_cast<uv_handle_t *>(&prepare));
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

socket_server::impl::~impl() {
    if (!shut)
        shutdown_all();
    uv_run(&loop, UV_RUN_DEFAULT); // close callbacks, cancelled resolutions
    int err = uv_loop_close(&loop);
    if (err)
        logf("socket-server error: event loop still busy at exit: %s", uv_strerror(err));
    if (reserve_fd >= 0)
        ::close(reserve_fd);
    for (int i = 0; i < max_socket; i++)
        skynet_free(slots[i].rest);
}

void socket_server::impl::logf(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    hooks.log(line);
}

int socket_server::impl::reserve_id() {
    for (int i = 0; i < max_socket; i++) {
        // Ids count up through the positive ints and wrap, so a stale id
        // is not handed out again for about 2^31 allocations.
        int id =
            static_cast<int>((alloc_id.fetch_add(1, std::memory_order_relaxed) + 1) & 0x7fffffff);
        if (id == 0)
            continue;
        slot &sl = slot_of(id);
        socket_type expected = socket_type::invalid;
        if (sl.type.load(std::memory_order_acquire) == expected &&
            sl.type.compare_exchange_strong(expected, socket_type::reserve,
                                            std::memory_order_acq_rel)) {
            sl.id.store(id, std::memory_order_release);
            sl.closing.store(false, std::memory_order_relaxed);
            return id;
        }
    }
    logf("socket-server error: reach skynet socket number limit");
    return -1;
}

// The caller's racy view; the loop checks again before acting.
socket_type socket_server::impl::peek(int id) {
    if (id <= 0)
        return socket_type::invalid;
    slot &sl = slot_of(id);
    socket_type t = sl.type.load(std::memory_order_acquire);
    if (t == socket_type::invalid || sl.id.load(std::memory_order_acquire) != id)
        return socket_type::invalid;
    return t;
}

bool socket_server::impl::push(command &&c) {
    std::lock_guard guard(mutex);
    if (stopped) {
        discard(c);
        return false;
    }
    // One wake-up per batch: the loop takes the whole queue at once.
    bool wake = queue.empty();
    queue.push_back(std::move(c));
    if (wake)
        uv_async_send(&async);
    return true;
}

// Sends and closes are counted per slot until the loop takes them: a
// direct write must not overtake them.
bool socket_server::impl::push_counted(command &&c) {
    slot &sl = slot_of(c.id);
    sl.pending.fetch_add(1, std::memory_order_acq_rel);
    if (push(std::move(c)))
        return true;
    sl.pending.fetch_sub(1, std::memory_order_acq_rel);
    return false;
}

void socket_server::impl::discard(command &c) {
    skynet_free(c.buffer);
    c.buffer = nullptr;
    switch (c.what) {
    case op::listen:
    case op::bind:
    case op::udp_open:
    case op::udp_dial:
        ::close(c.fd);
        break;
    case op::info:
        c.reply->set_value(nullptr);
        break;
    default:
        break;
    }
}

int socket_server::impl::submit_send(socket_sendbuffer *buf, op what, const uint8_t *address) {
    if (buf->type != SOCKET_BUFFER_MEMORY && buf->type != SOCKET_BUFFER_RAWPOINTER) {
        logf("socket-server error: unsupported send buffer type %d.", buf->type);
        return -1;
    }
    int id = buf->id;
    socket_type t = peek(id);
    bool dead = t == socket_type::invalid || t == socket_type::halfclose_write ||
                (what == op::send_high && slot_of(id).closing.load(std::memory_order_relaxed));
    if (t == socket_type::plisten || t == socket_type::listen) {
        logf("socket-server error: write to listen fd %d.", id);
        dead = true;
    }
    if (dead) {
        if (buf->type == SOCKET_BUFFER_MEMORY)
            skynet_free(const_cast<void *>(buf->buffer));
        return -1;
    }
    if (what == op::send_high && buf->sz >= direct_write_min && try_direct(buf))
        return 0;
    command c(what);
    c.id = id;
    c.sz = buf->sz;
    if (buf->type == SOCKET_BUFFER_RAWPOINTER) {
        c.buffer = skynet_malloc(buf->sz ? buf->sz : 1);
        std::memcpy(c.buffer, buf->buffer, buf->sz);
    } else {
        c.buffer = const_cast<void *>(buf->buffer);
    }
    if (address)
        std::memcpy(c.address, address, udp_address_size(address[0]));
    return push_counted(std::move(c)) ? 0 : -1;
}

// The sender's own write, when the loop has nothing queued for the socket.
// What the kernel does not take is kept in the slot (copied unless the
// sender gave up its buffer) and handed to the loop, which sends it first.
bool socket_server::impl::try_direct(socket_sendbuffer *buf) {
    slot &sl = slot_of(buf->id);
    if (!sl.direct.load(std::memory_order_acquire) ||
        sl.pending.load(std::memory_order_acquire) != 0)
        return false;
    std::unique_lock guard(sl.wlock, std::try_to_lock);
    if (!guard.owns_lock() || !sl.direct.load(std::memory_order_relaxed) ||
        sl.pending.load(std::memory_order_relaxed) != 0 ||
        sl.id.load(std::memory_order_relaxed) != buf->id)
        return false;
    const auto *data = static_cast<const char *>(buf->buffer);
    ssize_t n = buf->sz > 0 ? ::send(sl.fd, data, buf->sz, MSG_DONTWAIT | MSG_NOSIGNAL) : 0;
    if (n < 0)
        n = 0; // the loop tries again and reports a real error
    if (n > 0) {
        sl.direct_bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        sl.direct_wtime.store(now.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    size_t left = buf->sz - static_cast<size_t>(n);
    if (left == 0) {
        guard.unlock();
        if (buf->type == SOCKET_BUFFER_MEMORY)
            skynet_free(const_cast<void *>(buf->buffer));
        return true;
    }
    if (buf->type == SOCKET_BUFFER_MEMORY) {
        sl.rest = const_cast<void *>(buf->buffer);
        sl.rest_ptr = static_cast<char *>(sl.rest) + n;
    } else {
        sl.rest = skynet_malloc(left);
        std::memcpy(sl.rest, data + n, left);
        sl.rest_ptr = static_cast<char *>(sl.rest);
    }
    sl.rest_sz = left;
    sl.direct.store(false, std::memory_order_relaxed);
    command c(op::send_rest);
    c.id = buf->id;
    sl.pending.fetch_add(1, std::memory_order_acq_rel); // before the lock goes
    guard.unlock();
    push(std::move(c)); // refused only once shutting down, which frees the rest
    return true;
}

int socket_server::impl::submit_udp(uint32_t owner, int fd, int family, const uint8_t *peer) {
    int id = reserve_id();
    if (id < 0) {
        ::close(fd);
        return -1;
    }
    command c(peer ? op::udp_dial : op::udp_open);
    c.id = id;
    c.owner = owner;
    c.fd = fd;
    c.family = family;
    if (peer)
        std::memcpy(c.address, peer, udp_address_size(peer[0]));
    return push(std::move(c)) ? id : -1;
}

socket_info *socket_server::impl::info() {
    std::unique_lock guard(mutex);
    if (!looping) // nobody else touches the sockets; the lock keeps run() out
        return collect_info();
    if (stopped)
        return nullptr;
    std::promise<socket_info *> reply;
    std::future<socket_info *> result = reply.get_future();
    command c(op::info);
    c.reply = &reply;
    bool wake = queue.empty();
    // The loop answers (or, stopping, discards with nullptr) before `reply`
    // goes out of scope: result.get() waits for it.
    // cppcheck-suppress danglingLifetime
    queue.push_back(std::move(c));
    if (wake)
        uv_async_send(&async);
    guard.unlock();
    return result.get();
}

// ---- the loop ----

void socket_server::impl::on_commands() {
    {
        std::lock_guard guard(mutex);
        batch.swap(queue);
    }
    for (command &c : batch)
        dispatch(c);
    batch.clear();
    flush_dirty();
    if (exiting)
        shutdown_all();
}

void socket_server::impl::dispatch(command &c) {
    switch (c.what) {
    case op::send_high:
    case op::send_low:
    case op::send_udp:
    case op::send_rest:
    case op::close:
    case op::shutdown:
        take_pending(c.id);
        break;
    default:
        break;
    }
    switch (c.what) {
    case op::listen:
        open_listener(c);
        break;
    case op::connect:
        open_connection(c);
        break;
    case op::bind:
        adopt_fd(c);
        break;
    case op::start:
        start(c);
        break;
    case op::pause:
        pause(c);
        break;
    case op::close:
        close(c, false);
        break;
    case op::shutdown:
        close(c, true);
        break;
    case op::nodelay:
        nodelay(c);
        break;
    case op::send_high:
        queue_send(c, false, nullptr);
        break;
    case op::send_low:
        queue_send(c, true, nullptr);
        break;
    case op::send_udp:
        queue_send(c, false, c.address);
        break;
    case op::send_rest:
        break; // take_pending did the work
    case op::udp_open:
        open_udp(c, false);
        break;
    case op::udp_dial:
        open_udp(c, true);
        break;
    case op::udp_peer:
        set_udp_peer(c);
        break;
    case op::info:
        flush_dirty(); // the answer reflects every send queued before it
        c.reply->set_value(collect_info());
        break;
    case op::exit:
        exiting = true;
        break;
    }
}

void socket_server::impl::shutdown_all() {
    std::vector<command> leftovers;
    {
        std::lock_guard guard(mutex);
        stopped = true;
        leftovers.swap(queue);
    }
    for (command &c : leftovers)
        discard(c);
    for (int i = 0; i < max_socket; i++) {
        if (sock *s = slots[i].s.get())
            force_close(*s);
    }
    for (resolve_job *job : resolving)
        uv_cancel(reinterpret_cast<uv_req_t *>(&job->req));
    uv_close(reinterpret_cast<uv_handle_t *>(&async), nullptr);
    uv_close(reinterpret_cast<uv_handle_t *>(&prepare), nullptr);
    if (need_wakeup) {
        need_wakeup = false;
        hooks.wakeup();
    }
    uv_stop(&loop);
    shut = true;
}

sock *socket_server::impl::find(int id) {
    if (id <= 0)
        return nullptr;
    sock *s = slot_of(id).s.get();
    return s && s->id == id ? s : nullptr;
}

sock &socket_server::impl::attach(int id, uint32_t owner, protocol proto) {
    slot &sl = slot_of(id);
    sl.s = std::make_unique<sock>(this, id, owner, proto);
    sl.direct_bytes.store(0, std::memory_order_relaxed);
    sl.direct_wtime.store(0, std::memory_order_relaxed);
    return *sl.s;
}

void socket_server::impl::release_slot(int id) {
    slot &sl = slot_of(id);
    stop_direct(id);
    sl.s.reset();
    sl.closing.store(false, std::memory_order_relaxed);
    sl.type.store(socket_type::invalid, std::memory_order_release);
}

void socket_server::impl::set_type(sock &s, socket_type t) {
    s.type = t;
    if (s.closed)
        return;
    if (t != socket_type::connected)
        stop_direct(s.id);
    slot_of(s.id).type.store(t, std::memory_order_release);
}

// The loop takes a counted command: no direct write from now on until it
// allows them again, and a partial direct write's rest goes first in line.
void socket_server::impl::take_pending(int id) {
    slot &sl = slot_of(id);
    void *rest;
    char *ptr;
    size_t sz;
    {
        std::lock_guard guard(sl.wlock);
        sl.direct.store(false, std::memory_order_relaxed);
        rest = sl.rest;
        ptr = sl.rest_ptr;
        sz = sl.rest_sz;
        sl.rest = nullptr;
        sl.pending.fetch_sub(1, std::memory_order_acq_rel);
    }
    sock *s = sl.s.get(); // the rest belongs to the slot's socket, whatever id c names
    if (s == nullptr || s->closed) {
        skynet_free(rest);
        return;
    }
    if (!s->dirty) { // allow_direct runs in flush_dirty
        s->dirty = true;
        dirty.push_back(s->id);
    }
    if (rest == nullptr)
        return;
    if (s->type == socket_type::halfclose_write) {
        skynet_free(rest);
        return;
    }
    write_buffer *wb = pool.get();
    wb->buffer = rest;
    wb->ptr = ptr;
    wb->sz = sz;
    s->high.push_front(wb);
    s->wb_size += static_cast<int64_t>(sz);
}

// Lets senders write a connected TCP socket themselves while the loop has
// nothing to send on it and no send or close is on its way.
void socket_server::impl::allow_direct(sock &s) {
    if (s.closed || s.closing || s.kind != handle_kind::tcp || s.type != socket_type::connected ||
        pending_writes(s))
        return;
    slot &sl = slot_of(s.id);
    if (sl.pending.load(std::memory_order_acquire) != 0)
        return;
    int fd = s.os_fd();
    std::lock_guard guard(sl.wlock);
    if (fd < 0 || sl.pending.load(std::memory_order_acquire) != 0 || sl.rest != nullptr)
        return;
    sl.fd = fd;
    sl.direct.store(true, std::memory_order_release);
}

// Waits for a direct write in progress; none starts afterwards.
void socket_server::impl::stop_direct(int id) {
    slot &sl = slot_of(id);
    std::lock_guard guard(sl.wlock);
    sl.direct.store(false, std::memory_order_relaxed);
}

// Unregisters the socket at once (its id is dead from now on) and lets libuv
// finish with the handle; no event. `s` stays valid until the close callback,
// unless it never had a handle: then it is gone when this returns.
void socket_server::impl::force_close(sock &s) {
    if (s.closed)
        return;
    stop_direct(s.id);
    {
        slot &sl = slot_of(s.id);
        std::lock_guard guard(sl.wlock);
        skynet_free(sl.rest);
        sl.rest = nullptr;
    }
    s.closed = true;
    pool.retire_all(s.high);
    pool.retire_all(s.low);
    s.wb_size = 0;
    slot &sl = slot_of(s.id);
    std::unique_ptr<sock> self = std::move(sl.s);
    sl.closing.store(false, std::memory_order_relaxed);
    sl.type.store(socket_type::invalid, std::memory_order_release);
    if (!s.h)
        return;
    s.h->handle.data = self.release();
    uv_close(&s.h->handle, on_sock_closed);
    if (s.kind == handle_kind::poll)
        ::close(s.listen_fd);
}

// Drops the handle of a failed connect attempt (no request is pending on it).
void socket_server::impl::discard_handle(sock &s) {
    if (!s.h)
        return;
    uv_any_handle *h = s.h.release();
    h->handle.data = nullptr;
    uv_close(&h->handle, on_husk_closed);
    s.kind = handle_kind::none;
}

void socket_server::impl::emit(uint32_t owner, int type, int id, int ud, void *data) {
    auto *msg = static_cast<skynet_socket_message *>(skynet_malloc(sizeof(skynet_socket_message)));
    msg->type = type;
    msg->id = id;
    msg->ud = ud;
    msg->buffer = static_cast<char *>(data);
    hooks.deliver(owner, msg, sizeof(*msg));
    need_wakeup = true;
}

void socket_server::impl::emit_text(uint32_t owner, int type, int id, int ud, const char *text) {
    size_t len = text ? std::min(std::strlen(text), MAX_INFO) : 0;
    size_t sz = sizeof(skynet_socket_message) + len;
    auto *msg = static_cast<skynet_socket_message *>(skynet_malloc(sz));
    msg->type = type;
    msg->id = id;
    msg->ud = ud;
    msg->buffer = nullptr;
    if (len)
        std::memcpy(msg + 1, text, len);
    hooks.deliver(owner, msg, sz);
    need_wakeup = true;
}

void socket_server::impl::stat_read(sock &s, size_t n) {
    s.read += n;
    s.rtime = now.load(std::memory_order_relaxed);
}

void socket_server::impl::stat_write(sock &s, size_t n) {
    s.write += n;
    s.wtime = now.load(std::memory_order_relaxed);
}

// ---- listen / accept ----

void socket_server::impl::open_listener(command &c) {
    sock &s = attach(c.id, c.owner, protocol::tcp);
    s.h = std::make_unique<uv_any_handle>();
    s.h->handle.data = &s;
    int err = uv_poll_init_socket(&loop, &s.h->poll, c.fd);
    if (err) {
        ::close(c.fd);
        release_slot(c.id);
        emit_text(c.owner, SKYNET_SOCKET_TYPE_ERROR, c.id, 0, "reach skynet socket number limit");
        return;
    }
    s.kind = handle_kind::poll;
    s.listen_fd = c.fd;
    s.reading = false; // accepting starts with start()
    set_type(s, socket_type::plisten);
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(c.fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        emit_text(c.owner, SKYNET_SOCKET_TYPE_ERROR, c.id, 0, std::strerror(errno));
        return;
    }
    int port =
        ntohs(addr.ss_family == AF_INET ? reinterpret_cast<sockaddr_in *>(&addr)->sin_port
                                        : reinterpret_cast<sockaddr_in6 *>(&addr)->sin6_port);
    std::string ip = address_text(reinterpret_cast<sockaddr *>(&addr), false);
    emit_text(c.owner, SKYNET_SOCKET_TYPE_CONNECT, c.id, port, ip.c_str());
}

void socket_server::impl::accept_pending(sock &ls, int status) {
    if (status < 0) {
        emit_text(ls.owner, SKYNET_SOCKET_TYPE_ERROR, ls.id, 0, std::strerror(-status));
        return;
    }
    for (int i = 0; i < ACCEPT_BATCH && !ls.closed && ls.polling; i++) {
        sockaddr_storage addr{};
        socklen_t len = sizeof(addr);
        int fd = ::accept4(ls.listen_fd, reinterpret_cast<sockaddr *>(&addr), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            adopt_accepted(ls, fd, addr);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            emit_text(ls.owner, SKYNET_SOCKET_TYPE_ERROR, ls.id, 0, std::strerror(errno));
            shed_connection(ls);
        }
        return;
    }
}

// Out of fds: accept the waiting connection with the reserved fd and drop it,
// so the listener is not woken for it forever.
void socket_server::impl::shed_connection(sock &ls) {
    if (reserve_fd < 0)
        return;
    ::close(reserve_fd);
    int fd = ::accept(ls.listen_fd, nullptr, nullptr);
    if (fd >= 0)
        ::close(fd);
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void socket_server::impl::adopt_accepted(sock &ls, int fd, const sockaddr_storage &addr) {
    int id = reserve_id();
    if (id < 0) {
        ::close(fd);
        emit_text(ls.owner, SKYNET_SOCKET_TYPE_ERROR, ls.id, 0, "reach skynet socket number limit");
        return;
    }
    set_keepalive(fd);
    sock &s = attach(id, ls.owner, protocol::tcp);
    s.h = std::make_unique<uv_any_handle>();
    s.h->handle.data = &s;
    uv_tcp_init(&loop, &s.h->tcp);
    s.kind = handle_kind::tcp;
    int err = uv_tcp_open(&s.h->tcp, fd);
    if (err) {
        force_close(s);
        ::close(fd);
        logf("socket-server error: accept: %s", uv_strerror(err));
        return;
    }
    s.reading = false; // until start(id)
    set_type(s, socket_type::paccept);
    stat_read(ls, 1);
    std::string name = address_text(reinterpret_cast<const sockaddr *>(&addr), true);
    emit_text(ls.owner, SKYNET_SOCKET_TYPE_ACCEPT, ls.id, id, name.c_str());
}

// ---- connect ----

void socket_server::impl::open_connection(command &c) {
    sock &s = attach(c.id, c.owner, protocol::tcp);
    set_type(s, socket_type::connecting);
    sockaddr_storage sa{};
    if (uv_ip4_addr(c.host.c_str(), c.port, reinterpret_cast<sockaddr_in *>(&sa)) == 0 ||
        uv_ip6_addr(c.host.c_str(), c.port, reinterpret_cast<sockaddr_in6 *>(&sa)) == 0) {
        s.targets.push_back(sa);
        try_connect(s);
        return;
    }
    // A name: resolve on the thread pool so the loop never blocks on DNS.
    auto job = std::make_unique<resolve_job>();
    job->req.data = job.get();
    job->server = this;
    job->id = c.id;
    job->port = c.port;
    job->host = std::move(c.host);
    int err = uv_queue_work(&loop, &job->req, resolve_work, resolve_done);
    if (err) {
        fail_connect(s, uv_strerror(err));
        return;
    }
    resolving.insert(job.release());
}

void socket_server::impl::resolved(resolve_job &job) {
    sock *s = find(job.id);
    if (s == nullptr || s->type != socket_type::connecting || s->h)
        return; // closed while resolving
    if (job.status != 0) {
        fail_connect(*s, gai_strerror(job.status));
        return;
    }
    s->targets = std::move(job.addrs);
    try_connect(*s);
}

// Tries the remaining addresses in order until one starts connecting.
void socket_server::impl::try_connect(sock &s) {
    while (s.next_target < s.targets.size()) {
        const sockaddr_storage &sa = s.targets[s.next_target++];
        discard_handle(s);
        s.h = std::make_unique<uv_any_handle>();
        s.h->handle.data = &s;
        int err = uv_tcp_init_ex(&loop, &s.h->tcp, sa.ss_family);
        if (err) {
            s.h.reset(); // not registered with the loop
            s.last_error = err;
            continue;
        }
        s.kind = handle_kind::tcp;
        set_keepalive(s.os_fd());
        s.connect_req.data = &s;
        err = uv_tcp_connect(&s.connect_req, &s.h->tcp, reinterpret_cast<const sockaddr *>(&sa),
                             on_connected);
        if (err == 0)
            return;
        s.last_error = err;
    }
    fail_connect(s, s.last_error ? std::strerror(-s.last_error) : "no address");
}

void socket_server::impl::connected(sock &s) {
    if (s.closing) {
        // close() came first: deliver what was queued, never read.
        set_type(s, socket_type::halfclose_read);
        flush(s);
        return;
    }
    set_type(s, socket_type::connected);
    sockaddr_storage peer{};
    int len = sizeof(peer);
    std::string ip;
    if (uv_tcp_getpeername(&s.h->tcp, reinterpret_cast<sockaddr *>(&peer), &len) == 0)
        ip = address_text(reinterpret_cast<sockaddr *>(&peer), false);
    emit_text(s.owner, SKYNET_SOCKET_TYPE_CONNECT, s.id, 0, ip.c_str());
    apply_reading(s);
    if (pending_writes(s)) {
        flush(s);
        if (!s.closed)
            check_warning(s);
    }
    if (!s.closed)
        allow_direct(s);
}

void socket_server::impl::fail_connect(sock &s, const char *why) {
    uint32_t owner = s.owner;
    int id = s.id;
    bool quiet = s.closing; // the owner already has its CLOSE
    std::string text = why;
    force_close(s);
    if (!quiet)
        emit_text(owner, SKYNET_SOCKET_TYPE_ERROR, id, 0, text.c_str());
}

// ---- bind (adopt an OS fd) ----

void socket_server::impl::adopt_fd(command &c) {
    sock &s = attach(c.id, c.owner, protocol::tcp);
    s.h = std::make_unique<uv_any_handle>();
    s.h->handle.data = &s;
    int err = UV_EINVAL;
    switch (uv_guess_handle(c.fd)) {
    case UV_TCP:
        s.kind = handle_kind::tcp;
        uv_tcp_init(&loop, &s.h->tcp);
        err = uv_tcp_open(&s.h->tcp, c.fd);
        break;
    case UV_NAMED_PIPE:
        s.kind = handle_kind::pipe;
        uv_pipe_init(&loop, &s.h->pipe, 0);
        err = uv_pipe_open(&s.h->pipe, c.fd);
        break;
    case UV_TTY:
        err = uv_tty_init(&loop, &s.h->tty, c.fd, 0);
        if (err == 0)
            s.kind = handle_kind::tty;
        break;
    default:
        break; // regular files and the like cannot be polled
    }
    if (err) {
        if (s.kind == handle_kind::none)
            s.h.reset(); // never initialised
        uint32_t owner = s.owner;
        force_close(s);
        ::close(c.fd);
        emit_text(owner, SKYNET_SOCKET_TYPE_ERROR, c.id, 0, std::strerror(-err));
        return;
    }
    set_type(s, socket_type::bind);
    apply_reading(s);
    emit_text(s.owner, SKYNET_SOCKET_TYPE_CONNECT, s.id, 0, "binding");
}

// ---- UDP ----

void socket_server::impl::open_udp(command &c, bool with_peer) {
    sock &s = attach(c.id, c.owner, c.family == AF_INET6 ? protocol::udpv6 : protocol::udp);
    s.h = std::make_unique<uv_any_handle>();
    s.h->handle.data = &s;
    uv_udp_init(&loop, &s.h->udp);
    s.kind = handle_kind::udp;
    int err = uv_udp_open(&s.h->udp, c.fd);
    if (err) {
        force_close(s);
        ::close(c.fd);
        logf("socket-server error: udp socket %d: %s", c.id, uv_strerror(err));
        return;
    }
    if (with_peer)
        std::memcpy(s.udp_address, c.address, UDP_ADDRESS_SIZE);
    set_type(s, socket_type::connected);
    apply_reading(s);
}

void socket_server::impl::set_udp_peer(command &c) {
    sock *s = find(c.id);
    if (s == nullptr)
        return;
    if (c.address[0] != static_cast<uint8_t>(s->proto)) {
        emit_text(s->owner, SKYNET_SOCKET_TYPE_ERROR, s->id, 0, "protocol mismatch");
        return;
    }
    std::memcpy(s->udp_address, c.address, UDP_ADDRESS_SIZE);
}

void socket_server::impl::udp_received(sock &s, ssize_t n, const sockaddr *addr) {
    if (n < 0) {
        uint32_t owner = s.owner;
        int id = s.id;
        force_close(s);
        emit_text(owner, SKYNET_SOCKET_TYPE_ERROR, id, 0, std::strerror(static_cast<int>(-n)));
        return;
    }
    if (addr == nullptr)
        return; // nothing more to read
    protocol from = addr->sa_family == AF_INET ? protocol::udp : protocol::udpv6;
    if (from != s.proto)
        return;
    // Datagram sizes are unknown before the read: one shared receive buffer,
    // then an exact copy with the sender's address appended (upstream layout).
    size_t asz = udp_address_size(static_cast<uint8_t>(from));
    auto *data = static_cast<uint8_t *>(skynet_malloc(n + asz));
    std::memcpy(data, udp_buffer.get(), n);
    gen_udp_address(addr, data + n);
    stat_read(s, n);
    emit(s.owner, SKYNET_SOCKET_TYPE_UDP, s.id, static_cast<int>(n), data);
}

// ---- start / pause / close ----

void socket_server::impl::start(command &c) {
    sock *s = find(c.id);
    if (s == nullptr) {
        emit_text(c.owner, SKYNET_SOCKET_TYPE_ERROR, c.id, 0, "invalid socket");
        return;
    }
    if (s->type == socket_type::halfclose_read) {
        // The owner resuming a paused socket whose peer has closed: its CLOSE
        // is already on the way and, as upstream, nothing more is said (an
        // ERROR would make socket.lua shut the socket down, dropping what is
        // still to be sent). Anyone else would wait for an event that never
        // comes to them.
        if (c.owner != s->owner)
            emit_text(c.owner, SKYNET_SOCKET_TYPE_ERROR, c.id, 0, "socket closed");
        return;
    }
    s->reading = true;
    const char *text = nullptr;
    switch (s->type) {
    case socket_type::plisten:
        set_type(*s, socket_type::listen);
        text = "start";
        break;
    case socket_type::paccept:
        set_type(*s, socket_type::connected);
        text = "start";
        break;
    case socket_type::connected:
        text = "transfer";
        break;
    default:
        break;
    }
    if (text)
        s->owner = c.owner;
    if (apply_reading(*s) != 0) {
        emit_text(c.owner, SKYNET_SOCKET_TYPE_ERROR, c.id, 0, "enable read failed");
        return;
    }
    if (text)
        emit_text(c.owner, SKYNET_SOCKET_TYPE_CONNECT, c.id, 0, text);
    allow_direct(*s);
}

void socket_server::impl::pause(command &c) {
    sock *s = find(c.id);
    if (s == nullptr)
        return;
    s->reading = false;
    if (apply_reading(*s) != 0)
        emit_text(s->owner, SKYNET_SOCKET_TYPE_ERROR, s->id, 0, "enable read failed");
}

void socket_server::impl::close(command &c, bool now) {
    sock *s = find(c.id);
    if (s == nullptr)
        return;
    bool read_closed = s->type == socket_type::halfclose_read;
    uint32_t owner = s->owner;
    int id = s->id;
    if (now || nothing_to_send(*s)) {
        force_close(*s);
        if (!read_closed) // the peer's EOF already reported CLOSE
            emit(owner, SKYNET_SOCKET_TYPE_CLOSE, id, 0, nullptr);
        return;
    }
    s->closing = true;
    slot_of(id).closing.store(true, std::memory_order_relaxed);
    if (!read_closed) {
        if (s->type != socket_type::connecting)
            close_read(*s);
        emit(owner, SKYNET_SOCKET_TYPE_CLOSE, id, 0, nullptr);
    }
}

void socket_server::impl::nodelay(command &c) {
    sock *s = find(c.id);
    if (s && s->kind == handle_kind::tcp)
        uv_tcp_nodelay(&s->h->tcp, 1);
}

// ---- reading ----

// Makes libuv read (or accept) exactly when the owner wants it and the
// state allows it.
int socket_server::impl::apply_reading(sock &s) {
    bool want = s.reading && can_read(s.type) && !s.closed;
    if (want == s.polling)
        return 0;
    int err = 0;
    switch (s.kind) {
    case handle_kind::poll:
        err =
            want ? uv_poll_start(&s.h->poll, UV_READABLE, on_acceptable) : uv_poll_stop(&s.h->poll);
        break;
    case handle_kind::udp:
        err = want ? uv_udp_recv_start(&s.h->udp, on_udp_alloc, on_udp_read)
                   : uv_udp_recv_stop(&s.h->udp);
        break;
    case handle_kind::tcp:
    case handle_kind::pipe:
    case handle_kind::tty:
        err = want ? uv_read_start(s.stream(), on_alloc, on_read) : uv_read_stop(s.stream());
        break;
    case handle_kind::none:
        return 0;
    }
    if (err == 0)
        s.polling = want;
    return err;
}

void socket_server::impl::close_read(sock &s) {
    set_type(s, socket_type::halfclose_read);
    apply_reading(s);
    if (s.kind == handle_kind::tcp)
        ::shutdown(s.os_fd(), SHUT_RD);
}

void socket_server::impl::received(sock &s, ssize_t n, const uv_buf_t *buf) {
    if (n <= 0) {
        skynet_free(buf->base);
        if (n == UV_EOF) {
            peer_eof(s);
        } else if (n < 0) {
            s.polling = false; // libuv stops reading after an error
            emit_text(s.owner, SKYNET_SOCKET_TYPE_ERROR, s.id, 0,
                      std::strerror(static_cast<int>(-n)));
        }
        return;
    }
    if (s.type == socket_type::halfclose_read) {
        skynet_free(buf->base);
        return;
    }
    stat_read(s, n);
    // Upstream's adaptive read size: double when a read fills the buffer,
    // halve when it is less than half used.
    size_t cap = buf->len;
    if (static_cast<size_t>(n) == cap) {
        if (cap < static_cast<size_t>(MAX_READ_BUFFER))
            s.read_size = static_cast<int>(cap * 2);
    } else if (cap > static_cast<size_t>(MIN_READ_BUFFER) && static_cast<size_t>(n) * 2 < cap) {
        s.read_size = static_cast<int>(cap / 2);
    }
    emit(s.owner, SKYNET_SOCKET_TYPE_DATA, s.id, static_cast<int>(n), buf->base);
}

void socket_server::impl::peer_eof(sock &s) {
    s.polling = false; // libuv stops reading at EOF
    if (s.closing) {
        if (nothing_to_send(s))
            force_close(s);
        return;
    }
    if (s.type == socket_type::halfclose_read)
        return;
    uint32_t owner = s.owner;
    int id = s.id;
    if (s.type == socket_type::halfclose_write)
        force_close(s);
    else
        close_read(s); // writing is still allowed
    emit(owner, SKYNET_SOCKET_TYPE_CLOSE, id, 0, nullptr);
}

// ---- writing ----

void socket_server::impl::queue_send(command &c, bool low, const uint8_t *address) {
    sock *s = find(c.id);
    if (s == nullptr || s->closing || s->type == socket_type::halfclose_write ||
        s->type == socket_type::paccept) {
        skynet_free(c.buffer);
        c.buffer = nullptr;
        return;
    }
    if (s->type == socket_type::plisten || s->type == socket_type::listen) {
        logf("socket-server error: write to listen fd %d.", c.id);
        skynet_free(c.buffer);
        c.buffer = nullptr;
        return;
    }
    if (c.sz == 0) {
        skynet_free(c.buffer);
        c.buffer = nullptr;
        return;
    }
    write_buffer *wb = pool.get();
    wb->buffer = c.buffer;
    wb->ptr = static_cast<char *>(c.buffer);
    wb->sz = c.sz;
    c.buffer = nullptr;
    if (s->proto != protocol::tcp)
        std::memcpy(wb->udp_address, address ? address : s->udp_address, UDP_ADDRESS_SIZE);
    // With nothing pending even a low-priority send goes first in line.
    (low && pending_writes(*s) ? s->low : s->high).push_back(wb);
    s->wb_size += static_cast<int64_t>(c.sz);
    if (!s->dirty) {
        s->dirty = true;
        dirty.push_back(s->id);
    }
}

// Sends of one command batch are written together: one writev per socket.
void socket_server::impl::flush_dirty() {
    for (int id : dirty) {
        sock *s = find(id);
        if (s == nullptr)
            continue;
        s->dirty = false;
        if (can_write(s->type))
            flush(*s);
        if (!s->closed) {
            check_warning(*s);
            allow_direct(*s);
        }
    }
    dirty.clear();
}

void socket_server::impl::flush(sock &s) {
    if (s.proto == protocol::tcp)
        flush_stream(s);
    else
        flush_udp(s);
}

// High list first; the low list only when the high one is empty. What the
// kernel does not take at once goes to one uv_write, which owns those
// buffers until it completes: a partly written low buffer is never
// overtaken, as upstream moves it to the high list.
void socket_server::impl::flush_stream(sock &s) {
    while (!s.in_flight && !s.closed) {
        wb_list &list = s.high.empty() ? s.low : s.high;
        if (list.empty()) {
            drained(s);
            return;
        }
        uv_buf_t bufs[MAX_IOV];
        int n = 0;
        size_t total = 0;
        for (write_buffer *wb = list.head; wb && n < MAX_IOV; wb = wb->next) {
            bufs[n].base = wb->ptr;
            bufs[n].len = wb->sz;
            total += wb->sz;
            n++;
        }
        int r = uv_try_write(s.stream(), bufs, n);
        if (r == UV_EAGAIN)
            r = 0;
        if (r < 0) {
            write_failed(s, r);
            return;
        }
        consume(s, list, static_cast<size_t>(r));
        if (static_cast<size_t>(r) < total) {
            write_async(s, list);
            return;
        }
    }
}

void socket_server::impl::write_async(sock &s, wb_list &list) {
    uv_buf_t bufs[MAX_IOV];
    int n = 0;
    while (!list.empty() && n < MAX_IOV) {
        write_buffer *wb = list.pop_front();
        s.flight.push_back(wb);
        bufs[n].base = wb->ptr;
        bufs[n].len = wb->sz;
        n++;
    }
    s.write_req.data = &s;
    int err = uv_write(&s.write_req, s.stream(), bufs, n, on_written);
    if (err) {
        write_failed(s, err);
        return;
    }
    s.in_flight = true;
}

void socket_server::impl::written(sock &s, int status) {
    s.in_flight = false;
    if (status < 0) {
        write_failed(s, status);
        return;
    }
    size_t bytes = 0;
    while (!s.flight.empty()) {
        write_buffer *wb = s.flight.pop_front();
        bytes += wb->sz;
        pool.retire(wb);
    }
    stat_write(s, bytes);
    s.wb_size -= static_cast<int64_t>(bytes);
    flush(s);
}

void socket_server::impl::consume(sock &s, wb_list &list, size_t bytes) {
    if (bytes == 0)
        return;
    stat_write(s, bytes);
    s.wb_size -= static_cast<int64_t>(bytes);
    while (bytes > 0) {
        write_buffer *wb = list.head;
        if (bytes < wb->sz) {
            wb->ptr += bytes;
            wb->sz -= bytes;
            return;
        }
        bytes -= wb->sz;
        pool.retire(list.pop_front());
    }
}

// Upstream's write-error rule: a closing (or read-closed) socket just goes;
// otherwise it becomes write-closed, queued data is dropped, the owner hears
// ERROR once and may still read.
void socket_server::impl::write_failed(sock &s, int err) {
    s.in_flight = false;
    pool.retire_all(s.flight);
    pool.retire_all(s.high);
    pool.retire_all(s.low);
    s.wb_size = 0;
    if (s.closing || s.type == socket_type::halfclose_read) {
        force_close(s);
        return;
    }
    if (s.type == socket_type::halfclose_write)
        return;
    set_type(s, socket_type::halfclose_write);
    if (s.kind == handle_kind::tcp)
        ::shutdown(s.os_fd(), SHUT_WR);
    emit_text(s.owner, SKYNET_SOCKET_TYPE_ERROR, s.id, 0, std::strerror(-err));
}

void socket_server::impl::flush_udp(sock &s) {
    while (!s.in_flight && !s.closed) {
        wb_list &list = s.high.empty() ? s.low : s.high;
        if (list.empty()) {
            drained(s);
            return;
        }
        write_buffer *wb = list.head;
        sockaddr_storage sa;
        if (!udp_sockaddr(s.proto, wb->udp_address, sa)) {
            logf("socket-server: udp socket (%d) error: type mismatch.", s.id);
        } else {
            uv_buf_t buf;
            buf.base = wb->ptr;
            buf.len = wb->sz;
            int r = uv_udp_try_send(&s.h->udp, &buf, 1, reinterpret_cast<sockaddr *>(&sa));
            if (r == UV_EAGAIN) {
                s.send_req.data = &s;
                r = uv_udp_send(&s.send_req, &s.h->udp, &buf, 1, reinterpret_cast<sockaddr *>(&sa),
                                on_udp_sent);
                if (r == 0) {
                    s.flight.push_back(list.pop_front());
                    s.in_flight = true;
                    return;
                }
            }
            if (r < 0)
                logf("socket-server : udp (%d) sendto error %s.", s.id, std::strerror(-r));
            else
                stat_write(s, wb->sz);
        }
        s.wb_size -= static_cast<int64_t>(wb->sz);
        pool.retire(list.pop_front());
    }
}

void socket_server::impl::udp_sent(sock &s, int status) {
    s.in_flight = false;
    write_buffer *wb = s.flight.pop_front();
    if (status < 0)
        logf("socket-server : udp (%d) sendto error %s.", s.id, std::strerror(-status));
    else
        stat_write(s, wb->sz);
    s.wb_size -= static_cast<int64_t>(wb->sz);
    pool.retire(wb);
    flush(s);
}

void socket_server::impl::drained(sock &s) {
    if (s.closing) {
        force_close(s);
        return;
    }
    if (s.warn_size > 0) {
        s.warn_size = 0;
        emit(s.owner, SKYNET_SOCKET_TYPE_WARNING, s.id, 0, nullptr);
    }
    allow_direct(s);
}

void socket_server::impl::check_warning(sock &s) {
    if (s.wb_size >= WARNING_SIZE && s.wb_size >= s.warn_size) {
        s.warn_size = s.warn_size == 0 ? WARNING_SIZE * 2 : s.warn_size * 2;
        int kib = static_cast<int>((s.wb_size + 1023) / 1024);
        emit(s.owner, SKYNET_SOCKET_TYPE_WARNING, s.id, kib, nullptr);
    }
}

// ---- info ----

socket_info *socket_server::impl::collect_info() {
    socket_info *head = nullptr;
    for (int i = max_socket - 1; i >= 0; i--) {
        sock *s = slots[i].s.get();
        if (s == nullptr || s->closed)
            continue;
        socket_info si{};
        sockaddr_storage addr{};
        std::string name;
        bool closing = false;
        switch (s->type) {
        case socket_type::bind:
            si.type = SOCKET_INFO_BIND;
            break;
        case socket_type::listen: {
            si.type = SOCKET_INFO_LISTEN;
            socklen_t len = sizeof(addr);
            if (getsockname(s->listen_fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
                name = address_text(reinterpret_cast<sockaddr *>(&addr), true);
            break;
        }
        case socket_type::halfclose_read:
        case socket_type::halfclose_write:
            closing = true;
            [[fallthrough]];
        case socket_type::connected:
            if (s->proto == protocol::tcp) {
                si.type = closing ? SOCKET_INFO_CLOSING : SOCKET_INFO_TCP;
                int len = sizeof(addr);
                if (s->kind == handle_kind::tcp &&
                    uv_tcp_getpeername(&s->h->tcp, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
                    name = address_text(reinterpret_cast<sockaddr *>(&addr), true);
            } else {
                si.type = SOCKET_INFO_UDP;
                if (udp_sockaddr(s->proto, s->udp_address, addr))
                    name = address_text(reinterpret_cast<sockaddr *>(&addr), true);
            }
            break;
        default:
            continue;
        }
        auto *entry = static_cast<socket_info *>(skynet_malloc(sizeof(socket_info)));
        *entry = si;
        entry->id = s->id;
        entry->opaque = s->owner;
        entry->read = s->read;
        const slot &sl = slots[i];
        entry->write = s->write + sl.direct_bytes.load(std::memory_order_relaxed);
        entry->rtime = s->rtime;
        entry->wtime = std::max(s->wtime, sl.direct_wtime.load(std::memory_order_relaxed));
        entry->wbuffer = s->wb_size;
        entry->reading = s->polling;
        entry->writing = pending_writes(*s);
        std::snprintf(entry->name, sizeof(entry->name), "%s", name.c_str());
        entry->next = head;
        head = entry;
    }
    return head;
}

// ---- public interface ----

socket_server::socket_server(socket_hooks hooks, int max_socket)
    : impl_(std::make_unique<impl>(std::move(hooks), max_socket)) {}

socket_server::~socket_server() = default;

void socket_server::run() {
    {
        std::lock_guard guard(impl_->mutex);
        impl_->looping = true;
    }
    uv_run(&impl_->loop, UV_RUN_DEFAULT);
    std::lock_guard guard(impl_->mutex);
    impl_->looping = false;
}

void socket_server::exit() {
    impl_->push(command(op::exit));
}

void socket_server::updatetime(uint64_t now) {
    impl_->now.store(now, std::memory_order_relaxed);
}

int socket_server::listen(uint32_t owner, const char *host, int port, int backlog) {
    if (port < 0 || port > 65535)
        return -1;
    int family = 0;
    int fd = bind_socket(host, port, SOCK_STREAM, family);
    if (fd < 0)
        return -1;
    if (::listen(fd, backlog) != 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        ::close(fd);
        return -1;
    }
    int id = impl_->reserve_id();
    if (id < 0) {
        ::close(fd);
        return -1;
    }
    command c(op::listen);
    c.id = id;
    c.owner = owner;
    c.fd = fd;
    return impl_->push(std::move(c)) ? id : -1;
}

int socket_server::connect(uint32_t owner, const char *host, int port) {
    if (host == nullptr || port < 0 || port > 65535)
        return -1;
    if (std::strlen(host) > 255) {
        impl_->logf("socket-server error: Invalid addr %.255s.", host);
        return -1;
    }
    int id = impl_->reserve_id();
    if (id < 0)
        return -1;
    command c(op::connect);
    c.id = id;
    c.owner = owner;
    c.port = port;
    c.host = host;
    return impl_->push(std::move(c)) ? id : -1;
}

int socket_server::bind(uint32_t owner, int fd) {
    // libuv closes what it is given; the caller keeps its own fd, as upstream.
    int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dupfd < 0)
        return -1;
    int id = impl_->reserve_id();
    if (id < 0) {
        ::close(dupfd);
        return -1;
    }
    command c(op::bind);
    c.id = id;
    c.owner = owner;
    c.fd = dupfd;
    return impl_->push(std::move(c)) ? id : -1;
}

namespace {

command id_command(op what, uint32_t owner, int id) {
    command c(what);
    c.id = id;
    c.owner = owner;
    return c;
}

} // namespace

void socket_server::start(uint32_t owner, int id) {
    impl_->push(id_command(op::start, owner, id));
}
void socket_server::pause(uint32_t owner, int id) {
    impl_->push(id_command(op::pause, owner, id));
}
void socket_server::close(uint32_t owner, int id) {
    impl_->push_counted(id_command(op::close, owner, id));
}
void socket_server::shutdown(uint32_t owner, int id) {
    impl_->push_counted(id_command(op::shutdown, owner, id));
}
void socket_server::nodelay(int id) {
    impl_->push(id_command(op::nodelay, 0, id));
}

int socket_server::send(socket_sendbuffer *buf) {
    return impl_->submit_send(buf, op::send_high, nullptr);
}

int socket_server::send_lowpriority(socket_sendbuffer *buf) {
    return impl_->submit_send(buf, op::send_low, nullptr);
}

int socket_server::udp(uint32_t owner, const char *addr, int port) {
    if (port < 0 || port > 65535)
        return -1;
    int family = AF_INET;
    int fd;
    if (port != 0 || addr != nullptr)
        fd = bind_socket(addr, port, SOCK_DGRAM, family);
    else
        fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    return impl_->submit_udp(owner, fd, family, nullptr);
}

int socket_server::udp_listen(uint32_t owner, const char *addr, int port) {
    if (port <= 0 || port > 65535)
        return -1;
    int family = AF_INET;
    int fd = bind_socket(addr, port, SOCK_DGRAM, family);
    if (fd < 0)
        return -1;
    return impl_->submit_udp(owner, fd, family, nullptr);
}

namespace {

// The first address of host:port in the 7/19-byte UDP format.
bool udp_peer_address(const char *host, int port, uint8_t *out) {
    if (host == nullptr || port < 0 || port > 65535)
        return false;
    addrinfo_ptr ai;
    if (resolve(host, port, SOCK_DGRAM, ai) != 0 || !ai)
        return false;
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
        return false;
    gen_udp_address(ai->ai_addr, out);
    return true;
}

} // namespace

int socket_server::udp_dial(uint32_t owner, const char *addr, int port) {
    uint8_t peer[UDP_ADDRESS_SIZE];
    if (!udp_peer_address(addr, port, peer))
        return -1;
    int family = peer[0] == static_cast<uint8_t>(protocol::udp) ? AF_INET : AF_INET6;
    int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    return impl_->submit_udp(owner, fd, family, peer);
}

int socket_server::udp_connect(int id, const char *addr, int port) {
    if (impl_->peek(id) == socket_type::invalid)
        return -1;
    command c(op::udp_peer);
    c.id = id;
    if (!udp_peer_address(addr, port, c.address))
        return -1;
    return impl_->push(std::move(c)) ? 0 : -1;
}

int socket_server::udp_send(const char *address, socket_sendbuffer *buf) {
    const auto *addr = reinterpret_cast<const uint8_t *>(address);
    if (addr == nullptr || udp_address_size(addr[0]) == 0) {
        if (buf->type == SOCKET_BUFFER_MEMORY)
            skynet_free(const_cast<void *>(buf->buffer));
        return -1;
    }
    return impl_->submit_send(buf, op::send_udp, addr);
}

socket_info *socket_server::info() {
    return impl_->info();
}

} // namespace skynet
