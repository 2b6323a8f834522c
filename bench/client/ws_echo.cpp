// websocket_echo client: CONNS websocket connections to ws://127.0.0.1:PORT/,
// each keeping one masked PAYLOAD-byte text message in flight and waiting
// for its echo before sending again, on one epoll loop.
// Prints "BENCH websocket_echo <messages/s> msg/s".
//
//   ws_echo PORT CONNS SECONDS PAYLOAD
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace {

struct Conn {
    bench::Fd fd;
    std::string inbox;
};

std::atomic<uint64_t> echoes{0};
std::atomic<bool> running{true};
const char *failure = nullptr;

bool send_all(int fd, const std::string &bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += static_cast<size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, 1000) <= 0)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

// The upgrade, blocking: request out, response head in; true on a 101.
bool handshake(int fd, uint16_t port) {
    std::string req = "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    if (!send_all(fd, req))
        return false;
    std::string head;
    char c;
    while (head.size() < 4096 && head.find("\r\n\r\n") == std::string::npos) {
        if (::recv(fd, &c, 1, 0) != 1)
            return false;
        head.push_back(c);
    }
    return head.compare(0, 12, "HTTP/1.1 101") == 0;
}

// A client frame: FIN + text, masked with a fixed key, PAYLOAD bytes.
std::string client_frame(const std::string &payload) {
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    std::string f;
    f.push_back(static_cast<char>(0x81));
    f.push_back(static_cast<char>(0x80 | payload.size())); // payload < 126
    f.append(reinterpret_cast<const char *>(key), 4);
    for (size_t i = 0; i < payload.size(); ++i)
        f.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
    return f;
}

bool on_readable(Conn &c, const std::string &frame, const std::string &echo) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (n == 0)
            return false;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        c.inbox.append(buf, static_cast<size_t>(n));
        size_t done = 0;
        while (c.inbox.size() - done >= echo.size()) {
            if (c.inbox.compare(done, echo.size(), echo) != 0) {
                failure = "bad echo";
                return false;
            }
            done += echo.size();
            echoes.fetch_add(1, std::memory_order_relaxed);
            if (!send_all(c.fd.get(), frame))
                return false;
        }
        c.inbox.erase(0, done);
    }
}

void event_loop(std::vector<Conn> &conns, const std::string &frame, const std::string &echo) {
    bench::Fd ep(::epoll_create1(EPOLL_CLOEXEC));
    for (size_t i = 0; i < conns.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, conns[i].fd.get(), &ev);
        if (!send_all(conns[i].fd.get(), frame)) {
            failure = "first send failed";
            running = false;
            return;
        }
    }
    std::vector<epoll_event> events(conns.size());
    while (running.load(std::memory_order_relaxed)) {
        int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), 100);
        for (int i = 0; i < n; ++i) {
            if (!on_readable(conns[events[i].data.u64], frame, echo)) {
                failure = failure ? failure : "connection closed by the server";
                running = false;
                return;
            }
        }
    }
}

} // namespace

int main(int argc, char **argv) {
    double port = 0, nconn = 0, duration = 0, payload = 0;
    if (argc < 5 || !bench::parse_number(argv[1], port) || !bench::parse_number(argv[2], nconn) ||
        !bench::parse_number(argv[3], duration) || !bench::parse_number(argv[4], payload) ||
        port < 1 || port > 65535 || nconn < 1 || duration <= 0 || payload < 1 || payload > 125) {
        std::fprintf(stderr, "usage: %s PORT CONNS SECONDS PAYLOAD(1..125)\n", argv[0]);
        return 2;
    }
    std::string text(static_cast<size_t>(payload), 'x');
    for (size_t i = 0; i < text.size(); ++i)
        text[i] = static_cast<char>('a' + i % 26);
    std::string frame = client_frame(text);
    std::string echo = std::string{static_cast<char>(0x81), static_cast<char>(text.size())} + text;

    auto p = static_cast<uint16_t>(port);
    std::vector<Conn> conns;
    auto deadline = bench::Clock::now() + std::chrono::seconds(10);
    for (size_t i = 0; i < static_cast<size_t>(nconn); ++i) {
        bench::Fd fd;
        while (!(fd = bench::connect_loopback(p)).valid()) {
            if (bench::Clock::now() > deadline) {
                std::printf("BENCH_ERROR websocket_echo cannot connect to 127.0.0.1:%u\n", p);
                return 1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!handshake(fd.get(), p)) {
            std::printf("BENCH_ERROR websocket_echo handshake refused\n");
            return 1;
        }
        ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
        conns.push_back(Conn{std::move(fd), {}});
    }
    std::thread loop(event_loop, std::ref(conns), std::cref(frame), std::cref(echo));
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // warm-up
    uint64_t e0 = echoes.load();
    auto t0 = bench::Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(duration));
    uint64_t n = echoes.load() - e0;
    double elapsed = bench::seconds_since(t0);
    running = false;
    loop.join();
    if (failure) {
        std::printf("BENCH_ERROR websocket_echo %s\n", failure);
        return 1;
    }
    std::printf("# websocket_echo: %llu echoes over %.0f connections in %.2f s (%.0f-byte "
                "messages)\n",
                static_cast<unsigned long long>(n), nconn, elapsed, payload);
    std::printf("BENCH websocket_echo %.2f msg/s\n", n / elapsed);
    return 0;
}
