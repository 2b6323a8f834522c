// The libuv socket server on loopback: events are captured through
// socket_hooks, so these tests run the server without the runtime.
#include "socket_server.h"

#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct event {
    uint32_t owner;
    int type;
    int id;
    int ud;
    std::string data;    // text of CONNECT/ERROR/ACCEPT, payload of DATA/UDP
    std::string address; // UDP: the sender address appended after the payload
    bool well_formed;    // size and buffer as the payload layout demands
};

// Runs a server on its own thread and records every event it delivers.
class harness {
  public:
    explicit harness(int max_socket = 65536)
        : server_(hooks(), max_socket), thread_([this] {
              server_.run();
              std::lock_guard guard(mutex_);
              stopped_ = true;
              cond_.notify_all();
          }) {
        std::signal(SIGPIPE, SIG_IGN); // as the runtime's main does
    }
    ~harness() {
        server_.exit();
        {
            // A loop that never takes the exit command must fail the run, not hang it.
            std::unique_lock guard(mutex_);
            if (!cond_.wait_for(guard, 60s, [this] { return stopped_; })) {
                std::fprintf(stderr, "socket server loop did not exit within 60 s\n");
                std::abort();
            }
        }
        thread_.join();
    }

    skynet::socket_server &srv() { return server_; }

    // Removes and returns the first recorded event that matches; fails the
    // test if none arrives in time.
    event wait(const std::function<bool(const event &)> &match,
               std::chrono::milliseconds timeout = 30s) {
        std::unique_lock guard(mutex_);
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto it = std::find_if(events_.begin(), events_.end(), match);
            if (it != events_.end()) {
                event ev = *it;
                events_.erase(it);
                CHECK(ev.well_formed);
                return ev;
            }
            if (cond_.wait_until(guard, deadline) == std::cv_status::timeout &&
                std::none_of(events_.begin(), events_.end(), match))
                FAIL("timed out waiting for a socket event");
        }
    }

    event wait(int type, int id, std::chrono::milliseconds timeout = 30s) {
        INFO("event type " << type << " for id " << id);
        return wait([=](const event &ev) { return ev.type == type && ev.id == id; }, timeout);
    }

    // Concatenates DATA of `id` until `n` bytes arrived; every piece must go to `owner`.
    std::string read(int id, size_t n, uint32_t owner, std::chrono::milliseconds timeout = 30s) {
        std::string got;
        while (got.size() < n) {
            event ev = wait(SKYNET_SOCKET_TYPE_DATA, id, timeout);
            REQUIRE(ev.owner == owner);
            got += ev.data;
        }
        return got;
    }

    size_t count(int type, int id) {
        std::lock_guard guard(mutex_);
        return std::count_if(events_.begin(), events_.end(),
                             [=](const event &ev) { return ev.type == type && ev.id == id; });
    }

    std::vector<int> data_sizes(int id) {
        std::lock_guard guard(mutex_);
        std::vector<int> sizes;
        for (const event &ev : events_)
            if (ev.type == SKYNET_SOCKET_TYPE_DATA && ev.id == id)
                sizes.push_back(ev.ud);
        return sizes;
    }

    bool logged(const std::string &line) {
        std::lock_guard guard(mutex_);
        return std::find(logs_.begin(), logs_.end(), line) != logs_.end();
    }

    int wakeups() {
        std::lock_guard guard(mutex_);
        return wakeups_;
    }

  private:
    skynet::socket_hooks hooks() {
        skynet::socket_hooks h;
        h.deliver = [this](uint32_t owner, skynet_socket_message *msg, size_t sz) {
            record(owner, msg, sz);
        };
        h.wakeup = [this] {
            std::lock_guard guard(mutex_);
            wakeups_++;
        };
        h.log = [this](const char *line) {
            std::lock_guard guard(mutex_);
            logs_.emplace_back(line);
        };
        return h;
    }

    void record(uint32_t owner, skynet_socket_message *msg, size_t sz) {
        // Runs on the socket thread: no Catch assertions here.
        event ev{owner, msg->type, msg->id, msg->ud, {}, {}, false};
        switch (msg->type) {
        case SKYNET_SOCKET_TYPE_CONNECT:
        case SKYNET_SOCKET_TYPE_ERROR:
        case SKYNET_SOCKET_TYPE_ACCEPT:
            ev.well_formed =
                msg->buffer == nullptr && sz >= sizeof(*msg) && sz <= sizeof(*msg) + 128;
            ev.data.assign(reinterpret_cast<const char *>(msg + 1), sz - sizeof(*msg));
            break;
        case SKYNET_SOCKET_TYPE_DATA:
            ev.well_formed = sz == sizeof(*msg) && msg->buffer != nullptr && msg->ud > 0;
            ev.data.assign(msg->buffer, msg->ud);
            break;
        case SKYNET_SOCKET_TYPE_UDP: {
            size_t asz = msg->buffer[msg->ud] == 1 ? 7 : 19;
            ev.well_formed =
                sz == sizeof(*msg) && (msg->buffer[msg->ud] == 1 || msg->buffer[msg->ud] == 2);
            ev.data.assign(msg->buffer, msg->ud);
            ev.address.assign(msg->buffer + msg->ud, asz);
            break;
        }
        default:
            ev.well_formed = sz == sizeof(*msg) && msg->buffer == nullptr;
            break;
        }
        skynet_free(msg->buffer);
        skynet_free(msg);
        std::lock_guard guard(mutex_);
        events_.push_back(std::move(ev));
        cond_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable cond_;
    std::deque<event> events_;
    std::vector<std::string> logs_;
    int wakeups_ = 0;
    bool stopped_ = false; // run() has returned
    skynet::socket_server server_;
    std::thread thread_;
};

int send_text(skynet::socket_server &srv, int id, const std::string &text, bool low = false) {
    void *copy = skynet_malloc(text.size());
    std::memcpy(copy, text.data(), text.size());
    socket_sendbuffer buf{id, SOCKET_BUFFER_MEMORY, copy, text.size()};
    return low ? srv.send_lowpriority(&buf) : srv.send(&buf);
}

std::string pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; i++)
        s[i] = static_cast<char>('a' + i % 23);
    return s;
}

struct tcp_pair {
    int listener; // owner 1
    int client;   // owner 2
    int server;   // owner 3 after start
    int port;
};

struct listener {
    int id;
    int port;
};

// A started listener on an ephemeral port of 127.0.0.1.
listener listen_on(harness &h, uint32_t owner) {
    int id = h.srv().listen(owner, "127.0.0.1", 0, 32);
    REQUIRE(id > 0);
    event ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, id);
    REQUIRE(ev.ud > 0);
    h.srv().start(owner, id);
    REQUIRE(h.wait(SKYNET_SOCKET_TYPE_CONNECT, id).data == "start");
    return {id, ev.ud};
}

tcp_pair make_pair(harness &h) {
    tcp_pair p{};
    p.listener = h.srv().listen(1, "127.0.0.1", 0, 32);
    REQUIRE(p.listener > 0);
    p.port = h.wait(SKYNET_SOCKET_TYPE_CONNECT, p.listener).ud;
    h.srv().start(1, p.listener);
    REQUIRE(h.wait(SKYNET_SOCKET_TYPE_CONNECT, p.listener).data == "start");
    p.client = h.srv().connect(2, "127.0.0.1", p.port);
    REQUIRE(p.client > 0);
    REQUIRE(h.wait(SKYNET_SOCKET_TYPE_CONNECT, p.client).owner == 2);
    p.server = h.wait(SKYNET_SOCKET_TYPE_ACCEPT, p.listener).ud;
    h.srv().start(3, p.server);
    REQUIRE(h.wait(SKYNET_SOCKET_TYPE_CONNECT, p.server).data == "start");
    return p;
}

struct info_list {
    socket_info *head;
    explicit info_list(socket_info *si) : head(si) {}
    ~info_list() {
        while (head) {
            socket_info *next = head->next;
            skynet_free(head);
            head = next;
        }
    }
    const socket_info *find(int id) const {
        for (socket_info *si = head; si; si = si->next)
            if (si->id == id)
                return si;
        return nullptr;
    }
};

// A port nobody listens on: bound once, then released.
int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0);
    socklen_t len = sizeof(sa);
    getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len);
    ::close(fd);
    return ntohs(sa.sin_port);
}

// A plain UDP socket for the other end of the UDP tests.
struct udp_peer {
    int fd = -1;
    sockaddr_storage addr{};
    socklen_t len = 0;

    bool open(int family) {
        fd = ::socket(family, SOCK_DGRAM, 0);
        if (fd < 0)
            return false;
        timeval tv{30, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (family == AF_INET) {
            auto *v4 = reinterpret_cast<sockaddr_in *>(&addr);
            v4->sin_family = AF_INET;
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            len = sizeof(*v4);
        } else {
            auto *v6 = reinterpret_cast<sockaddr_in6 *>(&addr);
            v6->sin6_family = AF_INET6;
            v6->sin6_addr = in6addr_loopback;
            len = sizeof(*v6);
        }
        if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), len) != 0)
            return false;
        return getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0;
    }
    ~udp_peer() {
        if (fd >= 0)
            ::close(fd);
    }
    int port() const {
        return ntohs(addr.ss_family == AF_INET
                         ? reinterpret_cast<const sockaddr_in *>(&addr)->sin_port
                         : reinterpret_cast<const sockaddr_in6 *>(&addr)->sin6_port);
    }
    // skynet's address format: protocol byte, port (network order), address.
    std::string skynet_address() const {
        std::string out;
        if (addr.ss_family == AF_INET) {
            auto *v4 = reinterpret_cast<const sockaddr_in *>(&addr);
            out.push_back(1);
            out.append(reinterpret_cast<const char *>(&v4->sin_port), 2);
            out.append(reinterpret_cast<const char *>(&v4->sin_addr), 4);
        } else {
            auto *v6 = reinterpret_cast<const sockaddr_in6 *>(&addr);
            out.push_back(2);
            out.append(reinterpret_cast<const char *>(&v6->sin6_port), 2);
            out.append(reinterpret_cast<const char *>(&v6->sin6_addr), 16);
        }
        return out;
    }
    std::string recv(sockaddr_storage &from) {
        char buf[2048];
        socklen_t flen = sizeof(from);
        ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr *>(&from), &flen);
        INFO("recvfrom: " << std::strerror(errno));
        REQUIRE(n >= 0);
        return std::string(buf, n);
    }
    void reply(const sockaddr_storage &to, const std::string &text) {
        socklen_t tlen = to.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        REQUIRE(::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<const sockaddr *>(&to),
                         tlen) == static_cast<ssize_t>(text.size()));
    }
};

int udp_send_text(skynet::socket_server &srv, int id, const std::string &address,
                  const std::string &text) {
    void *copy = skynet_malloc(text.size());
    std::memcpy(copy, text.data(), text.size());
    socket_sendbuffer buf{id, SOCKET_BUFFER_MEMORY, copy, text.size()};
    return srv.udp_send(address.data(), &buf);
}

} // namespace

TEST_CASE("listen, connect, accept, start and data both ways", "[socket]") {
    harness h;
    int lid = h.srv().listen(1, "127.0.0.1", 0, 32);
    REQUIRE(lid > 0);
    event ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, lid);
    CHECK(ev.owner == 1);
    CHECK(ev.data == "127.0.0.1");
    int port = ev.ud;
    REQUIRE(port > 0);

    h.srv().start(1, lid);
    ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, lid);
    CHECK(ev.owner == 1);
    CHECK(ev.data == "start");

    int cid = h.srv().connect(2, "127.0.0.1", port);
    REQUIRE(cid > 0);
    CHECK(cid != lid);
    ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, cid);
    CHECK(ev.owner == 2);
    CHECK(ev.ud == 0);
    CHECK(ev.data == "127.0.0.1");

    ev = h.wait(SKYNET_SOCKET_TYPE_ACCEPT, lid);
    CHECK(ev.owner == 1);
    int sid = ev.ud;
    CHECK(sid > 0);
    CHECK(ev.data.rfind("127.0.0.1:", 0) == 0);

    // Sent before start(sid): held by the kernel, then read by the new owner.
    REQUIRE(send_text(h.srv(), cid, "hello") == 0);
    h.srv().start(3, sid);
    ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, sid);
    CHECK(ev.owner == 3);
    CHECK(ev.data == "start");
    CHECK(h.read(sid, 5, 3) == "hello");

    REQUIRE(send_text(h.srv(), sid, "world") == 0);
    CHECK(h.read(cid, 5, 2) == "world");

    // start on a connected socket transfers it
    h.srv().start(4, sid);
    ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, sid);
    CHECK(ev.owner == 4);
    CHECK(ev.data == "transfer");
    REQUIRE(send_text(h.srv(), cid, "again") == 0);
    CHECK(h.read(sid, 5, 4) == "again");
    CHECK(h.wakeups() > 0);
}

TEST_CASE("connect resolves names and IPv6 literals", "[socket]") {
    harness h;
    int lid = h.srv().listen(1, "", 0, 32); // "" is 0.0.0.0
    REQUIRE(lid > 0);
    event ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, lid);
    CHECK(ev.data == "0.0.0.0");
    h.srv().start(1, lid);
    h.wait(SKYNET_SOCKET_TYPE_CONNECT, lid);
    int cid = h.srv().connect(2, "localhost", ev.ud);
    REQUIRE(cid > 0);
    // "localhost" may resolve to ::1 first; the next address is tried.
    ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, cid);
    CHECK(ev.data == "127.0.0.1");
    h.wait(SKYNET_SOCKET_TYPE_ACCEPT, lid);

    int v6 = h.srv().listen(1, "::1", 0, 32);
    if (v6 < 0)
        return; // no IPv6 loopback here
    ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, v6);
    CHECK(ev.data == "::1");
    h.srv().start(1, v6);
    h.wait(SKYNET_SOCKET_TYPE_CONNECT, v6);
    int c6 = h.srv().connect(2, "::1", ev.ud);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CONNECT, c6).data == "::1");
    CHECK(h.wait(SKYNET_SOCKET_TYPE_ACCEPT, v6).data.rfind("::1:", 0) == 0);
}

TEST_CASE("read size starts at 64 bytes and grows with the traffic", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    const std::string payload = pattern(512 * 1024);
    REQUIRE(send_text(h.srv(), p.client, payload) == 0);
    std::vector<int> sizes;
    std::string got;
    while (got.size() < payload.size()) {
        event ev = h.wait(SKYNET_SOCKET_TYPE_DATA, p.server);
        sizes.push_back(ev.ud);
        got += ev.data;
    }
    CHECK(got == payload);
    CHECK(sizes.front() <= 64);
    CHECK(*std::max_element(sizes.begin(), sizes.end()) > 1024);
    CHECK(*std::max_element(sizes.begin(), sizes.end()) <= 64 * 1024);
}

// Sends of 4 KiB and more on an idle connection go straight to the kernel from
// the sending thread, smaller ones and what the kernel does not take go through
// the loop. Either way each send stays whole and each sender's sends stay in
// order.
TEST_CASE("concurrent senders: every send whole, every sender in order", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    constexpr int SENDERS = 4;
    constexpr int SENDS = 200;
    // record: sender (1 byte), sequence (4), body length (4), body
    auto record = [](int sender, int seq) {
        size_t len = seq % 7 == 0 ? 300 * 1024 : 1 + (seq * 7919 + sender * 104729) % 20000;
        std::string r(9 + len, '\0');
        r[0] = static_cast<char>(sender);
        std::memcpy(&r[1], &seq, 4);
        std::memcpy(&r[5], &len, 4);
        for (size_t i = 0; i < len; i++)
            r[9 + i] = static_cast<char>(sender * 31 + seq + i);
        return r;
    };
    size_t total = 0;
    for (int t = 0; t < SENDERS; t++)
        for (int i = 0; i < SENDS; i++)
            total += record(t, i).size();
    std::vector<std::thread> senders;
    for (int t = 0; t < SENDERS; t++)
        senders.emplace_back([&, t] {
            for (int i = 0; i < SENDS; i++)
                send_text(h.srv(), p.client, record(t, i));
        });
    std::string got = h.read(p.server, total, 3, 120s);
    for (std::thread &t : senders)
        t.join();
    REQUIRE(got.size() == total);
    int next[SENDERS] = {};
    size_t at = 0;
    while (at < got.size()) {
        REQUIRE(got.size() - at >= 9);
        int sender = got[at];
        REQUIRE(sender >= 0);
        REQUIRE(sender < SENDERS);
        int seq = 0;
        std::memcpy(&seq, &got[at + 1], 4);
        REQUIRE(seq == next[sender]);
        std::string expect = record(sender, seq);
        REQUIRE(got.compare(at, expect.size(), expect) == 0);
        next[sender]++;
        at += expect.size();
    }
    for (int n : next)
        CHECK(n == SENDS);
    info_list list(h.srv().info());
    REQUIRE(list.find(p.client) != nullptr);
    CHECK(list.find(p.client)->write == total); // direct writes are counted too
}

TEST_CASE("what a direct write leaves over goes out before later sends", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    size_t total = 0;
    for (int round = 0; round < 3; round++) {
        // The connection is idle, the reader paused: the big send is written
        // directly until the kernel is full, the small ones queue behind its
        // rest.
        h.srv().pause(3, p.server);
        info_list paused(h.srv().info()); // the pause has been applied
        std::string expect = pattern(32 * 1024 * 1024 + round);
        expect[0] = static_cast<char>('A' + round);
        REQUIRE(send_text(h.srv(), p.client, expect) == 0);
        for (int i = 0; i < 3; i++) {
            std::string small = "small " + std::to_string(round) + "." + std::to_string(i);
            REQUIRE(send_text(h.srv(), p.client, small) == 0);
            expect += small;
        }
        {
            info_list list(h.srv().info());
            REQUIRE(list.find(p.client) != nullptr);
            CHECK(list.find(p.client)->wbuffer > 0); // the rest waits in the loop
        }
        total += expect.size();
        h.srv().start(3, p.server);
        CHECK(h.wait(SKYNET_SOCKET_TYPE_CONNECT, p.server).data == "transfer");
        CHECK(h.read(p.server, expect.size(), 3, 60s) == expect);
    }
    {
        info_list list(h.srv().info());
        REQUIRE(list.find(p.client) != nullptr);
        CHECK(list.find(p.client)->write == total);
    }
    // and a close still flushes such a rest
    h.srv().pause(3, p.server);
    info_list paused(h.srv().info());
    const std::string last = pattern(32 * 1024 * 1024 + 5);
    REQUIRE(send_text(h.srv(), p.client, last) == 0);
    h.srv().close(2, p.client);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, p.client).owner == 2);
    h.srv().start(3, p.server);
    CHECK(h.read(p.server, last.size(), 3, 60s) == last);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, p.server).owner == 3);
}

TEST_CASE("close flushes pending writes before closing", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    const std::string payload = pattern(8 * 1024 * 1024);
    REQUIRE(send_text(h.srv(), p.server, payload) == 0);
    h.srv().close(3, p.server);
    event ev = h.wait(SKYNET_SOCKET_TYPE_CLOSE, p.server); // at once, not after the flush
    CHECK(ev.owner == 3);
    CHECK(send_text(h.srv(), p.server, "late") == -1);
    CHECK(h.read(p.client, payload.size(), 2) == payload);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, p.client).owner == 2); // the peer's EOF
}

TEST_CASE("close right after connect still delivers what was sent", "[socket]") {
    harness h;
    auto [lid, port] = listen_on(h, 1);
    int cid = h.srv().connect(2, "127.0.0.1", port);
    REQUIRE(send_text(h.srv(), cid, "fire and forget") == 0);
    h.srv().close(2, cid);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, cid).owner == 2);
    int sid = h.wait(SKYNET_SOCKET_TYPE_ACCEPT, lid).ud;
    h.srv().start(3, sid);
    h.wait(SKYNET_SOCKET_TYPE_CONNECT, sid);
    CHECK(h.read(sid, 15, 3) == "fire and forget");
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, sid).owner == 3);
    CHECK(h.count(SKYNET_SOCKET_TYPE_CONNECT, cid) == 0); // closed before it connected
}

TEST_CASE("a write error reports ERROR once; reading side stays until close", "[socket]") {
    harness h;
    auto [lid, port] = listen_on(h, 1);

    // a raw peer that resets the connection
    int raw = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    REQUIRE(::connect(raw, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0);
    int sid = h.wait(SKYNET_SOCKET_TYPE_ACCEPT, lid).ud;
    h.srv().start(3, sid);
    h.wait(SKYNET_SOCKET_TYPE_CONNECT, sid);
    h.srv().pause(3, sid); // the reset is then noticed by writing only
    linger lg{1, 0};
    setsockopt(raw, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    ::close(raw);

    bool failed = false;
    for (int i = 0; i < 200 && !failed; i++) {
        if (send_text(h.srv(), sid, "ping") != 0)
            break;
        info_list barrier(h.srv().info());
        failed = h.count(SKYNET_SOCKET_TYPE_ERROR, sid) > 0;
    }
    REQUIRE(failed);
    event ev = h.wait(SKYNET_SOCKET_TYPE_ERROR, sid);
    CHECK(ev.owner == 3);
    CHECK((ev.data == std::strerror(ECONNRESET) || ev.data == std::strerror(EPIPE)));
    CHECK(send_text(h.srv(), sid, "more") == -1);
    {
        info_list after(h.srv().info());
        REQUIRE(after.find(sid) != nullptr);
        CHECK(after.find(sid)->type == SOCKET_INFO_CLOSING);
    }
    CHECK(h.count(SKYNET_SOCKET_TYPE_ERROR, sid) == 0); // only once
    h.srv().close(3, sid);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, sid).owner == 3);
}

TEST_CASE("peer close: one CLOSE, writing still allowed", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    h.srv().close(2, p.client);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, p.client).owner == 2);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, p.server).owner == 3);
    CHECK(send_text(h.srv(), p.server, "still open") == 0);
    info_list during(h.srv().info());
    const socket_info *si = during.find(p.server);
    REQUIRE(si != nullptr);
    CHECK(si->type == SOCKET_INFO_CLOSING);
    CHECK(during.find(p.client) == nullptr);

    h.srv().close(3, p.server);
    info_list after(h.srv().info()); // processed after the close
    CHECK(after.find(p.server) == nullptr);
    CHECK(h.count(SKYNET_SOCKET_TYPE_CLOSE, p.server) == 0);
}

// socket.lua resumes a paused socket (start by its owner) when a read needs
// more input; if the peer's EOF came first, upstream says nothing more and
// the reply still goes out. Another service starting it hears an ERROR.
TEST_CASE("start after the peer's EOF: silent for the owner, the reply is delivered", "[socket]") {
    harness h;
    auto [lid, port] = listen_on(h, 1);
    int raw = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    REQUIRE(::connect(raw, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0);
    timeval tv{30, 0};
    setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int sid = h.wait(SKYNET_SOCKET_TYPE_ACCEPT, lid).ud;
    h.srv().start(3, sid);
    h.wait(SKYNET_SOCKET_TYPE_CONNECT, sid);
    REQUIRE(::write(raw, "request", 7) == 7);
    REQUIRE(::shutdown(raw, SHUT_WR) == 0);
    CHECK(h.read(sid, 7, 3) == "request");
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, sid).owner == 3);

    h.srv().pause(3, sid);
    h.srv().start(3, sid);
    h.srv().start(4, sid);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_ERROR, sid).owner == 4);
    const std::string reply = pattern(1024 * 1024);
    REQUIRE(send_text(h.srv(), sid, reply) == 0);
    h.srv().close(3, sid);
    std::string got;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(raw, buf, sizeof(buf));
        REQUIRE(n >= 0);
        if (n == 0)
            break;
        got.append(buf, n);
    }
    ::close(raw);
    CHECK(got == reply);
    info_list after(h.srv().info());
    CHECK(h.count(SKYNET_SOCKET_TYPE_ERROR, sid) == 0);
    CHECK(h.count(SKYNET_SOCKET_TYPE_CLOSE, sid) == 0);
}

TEST_CASE("shutdown closes at once and drops pending data", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    const size_t total = 32 * 1024 * 1024;
    REQUIRE(send_text(h.srv(), p.server, std::string(total, 'z')) == 0);
    h.srv().shutdown(3, p.server);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, p.server).owner == 3);
    CHECK(send_text(h.srv(), p.server, "late") == -1);
    size_t received = 0;
    for (;;) {
        event ev = h.wait(
            [&](const event &e) {
                return e.id == p.client &&
                       (e.type == SKYNET_SOCKET_TYPE_DATA || e.type == SKYNET_SOCKET_TYPE_CLOSE);
            },
            20s);
        if (ev.type == SKYNET_SOCKET_TYPE_CLOSE)
            break;
        received += ev.data.size();
    }
    CHECK(received < total);
}

TEST_CASE("pause applies back-pressure: WARNING, priorities, drain", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    h.srv().pause(3, p.server);
    {
        info_list list(h.srv().info()); // the pause has been applied
        REQUIRE(list.find(p.server) != nullptr);
        CHECK(list.find(p.server)->reading == 0);
    }

    // Fill the kernel buffers and then our queue until the 1 MiB warning.
    const std::string chunk(256 * 1024, 'x');
    size_t sent = 0;
    int kib = 0;
    for (int i = 0; i < 1024 && kib == 0; i++) {
        REQUIRE(send_text(h.srv(), p.client, chunk) == 0);
        sent += chunk.size();
        info_list list(h.srv().info()); // paces the sender and orders the check
        if (h.count(SKYNET_SOCKET_TYPE_WARNING, p.client) > 0)
            kib = h.wait(SKYNET_SOCKET_TYPE_WARNING, p.client).ud;
    }
    REQUIRE(kib >= 1024);
    CHECK(h.count(SKYNET_SOCKET_TYPE_DATA, p.server) == 0);
    {
        info_list list(h.srv().info());
        const socket_info *c = list.find(p.client);
        REQUIRE(c != nullptr);
        CHECK(c->wbuffer >= 1024 * 1024);
        CHECK(c->writing == 1);
    }

    // The next warning comes at twice the mark.
    int second = 0;
    for (int i = 0; i < 1024 && second == 0; i++) {
        REQUIRE(send_text(h.srv(), p.client, chunk) == 0);
        sent += chunk.size();
        info_list list(h.srv().info());
        if (h.count(SKYNET_SOCKET_TYPE_WARNING, p.client) > 0)
            second = h.wait(SKYNET_SOCKET_TYPE_WARNING, p.client).ud;
    }
    CHECK(second >= 2048);

    // Queued behind the bulk: the high-priority send overtakes the low one.
    REQUIRE(send_text(h.srv(), p.client, "LOW!", true) == 0);
    REQUIRE(send_text(h.srv(), p.client, "HIGH") == 0);
    sent += 8;

    h.srv().start(3, p.server);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CONNECT, p.server).data == "transfer");
    std::string got = h.read(p.server, sent, 3, 60s);
    REQUIRE(got.size() == sent);
    CHECK(got.substr(sent - 8) == "HIGHLOW!");
    CHECK(got.find_first_not_of('x') == sent - 8);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_WARNING, p.client).ud == 0); // drained
}

TEST_CASE("invalid sends fail and free their buffer", "[socket]") {
    harness h;
    tcp_pair p = make_pair(h);
    CHECK(send_text(h.srv(), 123456, "x") == -1);
    CHECK(send_text(h.srv(), -1, "x") == -1);
    CHECK(send_text(h.srv(), 0, "x") == -1);

    CHECK(send_text(h.srv(), p.listener, "x") == -1);
    CHECK(h.logged("socket-server error: write to listen fd " + std::to_string(p.listener) + "."));

    int object = 0;
    socket_sendbuffer obj{p.server, SOCKET_BUFFER_OBJECT, &object, 0};
    CHECK(h.srv().send(&obj) == -1);

    // RAWPOINTER: the caller keeps its memory, the server copies.
    char raw[] = "raw bytes";
    socket_sendbuffer rb{p.server, SOCKET_BUFFER_RAWPOINTER, raw, 9};
    REQUIRE(h.srv().send(&rb) == 0);
    std::memset(raw, '-', sizeof(raw));
    CHECK(h.read(p.client, 9, 2) == "raw bytes");

    h.srv().start(9, 987654);
    event ev = h.wait(SKYNET_SOCKET_TYPE_ERROR, 987654);
    CHECK(ev.owner == 9);
    CHECK(ev.data == "invalid socket");
}

TEST_CASE("connect to a closed port reports ERROR", "[socket]") {
    harness h;
    int id = h.srv().connect(2, "127.0.0.1", closed_port());
    REQUIRE(id > 0);
    event ev = h.wait(SKYNET_SOCKET_TYPE_ERROR, id);
    CHECK(ev.owner == 2);
    CHECK(ev.data == std::strerror(ECONNREFUSED));
    CHECK(send_text(h.srv(), id, "x") == -1);
}

TEST_CASE("an unresolvable name reports ERROR", "[socket]") {
    harness h;
    int id = h.srv().connect(2, "no-such-host.invalid", 80);
    REQUIRE(id > 0);
    event ev = h.wait(SKYNET_SOCKET_TYPE_ERROR, id, 30s);
    CHECK(ev.owner == 2);
    CHECK_FALSE(ev.data.empty());
    CHECK(send_text(h.srv(), id, "x") == -1);
    CHECK(h.srv().connect(2, nullptr, 80) == -1);
    CHECK(h.srv().connect(2, std::string(300, 'a').c_str(), 80) == -1);
}

TEST_CASE("info lists live sockets with their counters", "[socket]") {
    harness h;
    h.srv().updatetime(4242);
    tcp_pair p = make_pair(h);
    REQUIRE(send_text(h.srv(), p.client, "12345") == 0);
    CHECK(h.read(p.server, 5, 3) == "12345");
    REQUIRE(send_text(h.srv(), p.server, "abc") == 0);
    CHECK(h.read(p.client, 3, 2) == "abc");

    // A second connection left unstarted is not listed.
    int c2 = h.srv().connect(2, "127.0.0.1", p.port);
    h.wait(SKYNET_SOCKET_TYPE_CONNECT, c2);
    int pending = h.wait(SKYNET_SOCKET_TYPE_ACCEPT, p.listener).ud;

    info_list list(h.srv().info());
    const socket_info *l = list.find(p.listener);
    REQUIRE(l != nullptr);
    CHECK(l->type == SOCKET_INFO_LISTEN);
    CHECK(l->opaque == 1);
    CHECK(l->read == 2); // accepted connections
    CHECK(std::string(l->name) == "127.0.0.1:" + std::to_string(p.port));

    const socket_info *s = list.find(p.server);
    REQUIRE(s != nullptr);
    CHECK(s->type == SOCKET_INFO_TCP);
    CHECK(s->opaque == 3);
    CHECK(s->read == 5);
    CHECK(s->write == 3);
    CHECK(s->rtime == 4242);
    CHECK(s->wtime == 4242);
    CHECK(s->wbuffer == 0);
    CHECK(s->reading == 1);
    CHECK(s->writing == 0);
    CHECK(std::string(s->name).rfind("127.0.0.1:", 0) == 0);

    const socket_info *c = list.find(p.client);
    REQUIRE(c != nullptr);
    CHECK(c->opaque == 2);
    CHECK(c->read == 3);
    CHECK(c->write == 5);
    CHECK(std::string(c->name) == "127.0.0.1:" + std::to_string(p.port));

    CHECK(list.find(pending) == nullptr);
}

TEST_CASE("UDP round trips over IPv4 and IPv6", "[socket]") {
    harness h;
    for (int family : {AF_INET, AF_INET6}) {
        udp_peer peer;
        if (!peer.open(family)) {
            REQUIRE(family == AF_INET6); // IPv4 loopback must work
            continue;
        }
        const char *loopback = family == AF_INET ? "127.0.0.1" : "::1";
        INFO("family " << loopback);

        int u = h.srv().udp(5, loopback, 0);
        REQUIRE(u > 0);
        REQUIRE(udp_send_text(h.srv(), u, peer.skynet_address(), "ping") == 0);
        sockaddr_storage from{};
        CHECK(peer.recv(from) == "ping");
        peer.reply(from, "pong");
        event ev = h.wait(SKYNET_SOCKET_TYPE_UDP, u);
        CHECK(ev.owner == 5);
        CHECK(ev.ud == 4);
        CHECK(ev.data == "pong");
        CHECK(ev.address == peer.skynet_address());

        // a default peer for plain sends
        REQUIRE(h.srv().udp_connect(u, loopback, peer.port()) == 0);
        REQUIRE(send_text(h.srv(), u, "via connect") == 0);
        CHECK(peer.recv(from) == "via connect");
        {
            info_list list(h.srv().info());
            const socket_info *si = list.find(u);
            REQUIRE(si != nullptr);
            CHECK(si->type == SOCKET_INFO_UDP);
            CHECK(si->write == 4 + 11);
            CHECK(si->read == 4);
            CHECK(std::string(si->name) ==
                  std::string(loopback) + ":" + std::to_string(peer.port()));
        }

        int d = h.srv().udp_dial(6, loopback, peer.port());
        REQUIRE(d > 0);
        REQUIRE(send_text(h.srv(), d, "dialed") == 0);
        CHECK(peer.recv(from) == "dialed");
        peer.reply(from, "back");
        ev = h.wait(SKYNET_SOCKET_TYPE_UDP, d);
        CHECK(ev.owner == 6);
        CHECK(ev.data == "back");

        // an address of the other family is dropped and logged
        std::string other = family == AF_INET ? std::string(19, '\0') : std::string(7, '\0');
        other[0] = family == AF_INET ? 2 : 1;
        REQUIRE(udp_send_text(h.srv(), u, other, "lost") == 0);
        info_list barrier(h.srv().info());
        CHECK(h.logged("socket-server: udp socket (" + std::to_string(u) +
                       ") error: type mismatch."));

        h.srv().close(5, u);
        CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, u).owner == 5);
        h.srv().close(6, d);
        h.wait(SKYNET_SOCKET_TYPE_CLOSE, d);
    }
    std::string bad(7, '\0');
    bad[0] = 9;
    CHECK(udp_send_text(h.srv(), 1, bad, "x") == -1);
    CHECK(h.srv().udp_listen(5, "127.0.0.1", 0) == -1); // needs a port
}

TEST_CASE("the socket number limit", "[socket]") {
    harness h(4);
    std::vector<int> ids;
    for (int i = 0; i < 4; i++)
        ids.push_back(listen_on(h, 1).id);
    CHECK(h.srv().listen(1, "127.0.0.1", 0, 32) == -1);
    CHECK(h.srv().connect(1, "127.0.0.1", 1) == -1);
    CHECK(h.logged("socket-server error: reach skynet socket number limit"));

    h.srv().close(1, ids[1]);
    h.wait(SKYNET_SOCKET_TYPE_CLOSE, ids[1]);
    int again = listen_on(h, 1).id;
    CHECK(again > 0);
    CHECK(std::find(ids.begin(), ids.end(), again) == ids.end()); // ids are not reused at once
}

TEST_CASE("bind adopts an OS fd", "[socket]") {
    harness h;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    int id = h.srv().bind(7, fds[0]);
    REQUIRE(id > 0);
    event ev = h.wait(SKYNET_SOCKET_TYPE_CONNECT, id);
    CHECK(ev.owner == 7);
    CHECK(ev.data == "binding");
    REQUIRE(::write(fds[1], "abc", 3) == 3);
    CHECK(h.read(id, 3, 7) == "abc");
    {
        info_list list(h.srv().info());
        REQUIRE(list.find(id) != nullptr);
        CHECK(list.find(id)->type == SOCKET_INFO_BIND);
    }
    ::close(fds[1]);
    CHECK(h.wait(SKYNET_SOCKET_TYPE_CLOSE, id).owner == 7);
    h.srv().close(7, id);
    info_list barrier(h.srv().info());
    CHECK(fcntl(fds[0], F_GETFD) != -1); // the caller's fd stays open
    ::close(fds[0]);
    CHECK(h.srv().bind(7, fds[0]) == -1);
}

TEST_CASE("exit closes every socket without events", "[socket]") {
    auto h = std::make_unique<harness>();
    tcp_pair p = make_pair(*h);
    REQUIRE(send_text(h->srv(), p.client, "bye") == 0);
    h.reset(); // exit, join, free: must not hang or leak
    SUCCEED();
}
