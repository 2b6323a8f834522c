// gate_echo_native: load client for the gate_echo workload. Opens CONNS
// connections to 127.0.0.1:PORT; each keeps one package in flight: a 2-byte
// big-endian length, PAYLOAD bytes, and waits for the identical echo before
// sending again. Connections are spread over THREADS epoll loops.
// Prints "BENCH gate_echo_native <round trips/s> rt/s".
//
//   gate_echo PORT CONNS SECONDS PAYLOAD [THREADS]
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
    std::vector<char> inbox; // bytes of the echo received so far
};

std::atomic<uint64_t> round_trips{0};
std::atomic<bool> running{true};
std::atomic<const char *> failure{nullptr};

void fail(const char *why) {
    const char *none = nullptr;
    failure.compare_exchange_strong(none, why);
    running = false;
}

// Writes the whole frame; the socket is non-blocking but a 66-byte frame
// with one frame in flight practically never meets a full send buffer.
bool send_frame(int fd, const std::string &frame) {
    size_t off = 0;
    while (off < frame.size()) {
        ssize_t n = ::send(fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
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

// Reads what is there; answers every complete echo. False on error/close.
bool on_readable(Conn &c, const std::string &frame) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (n == 0)
            return false;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        c.inbox.insert(c.inbox.end(), buf, buf + n);
        size_t done = 0;
        while (c.inbox.size() - done >= frame.size()) {
            if (std::memcmp(c.inbox.data() + done, frame.data(), frame.size()) != 0) {
                fail("bad echo");
                return false;
            }
            done += frame.size();
            round_trips.fetch_add(1, std::memory_order_relaxed);
            if (!send_frame(c.fd.get(), frame))
                return false;
        }
        c.inbox.erase(c.inbox.begin(), c.inbox.begin() + static_cast<long>(done));
    }
}

void event_loop(std::vector<Conn> &conns, const std::string &frame) {
    bench::Fd ep(::epoll_create1(EPOLL_CLOEXEC));
    if (!ep.valid())
        return fail("epoll_create1 failed");
    for (size_t i = 0; i < conns.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, conns[i].fd.get(), &ev) != 0)
            return fail("epoll_ctl failed");
    }
    for (Conn &c : conns) {
        if (!send_frame(c.fd.get(), frame))
            return fail("first send failed");
    }
    std::vector<epoll_event> events(conns.size());
    while (running.load(std::memory_order_relaxed)) {
        int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), 100);
        if (n < 0 && errno != EINTR)
            return fail("epoll_wait failed");
        for (int i = 0; i < n; ++i) {
            if (!on_readable(conns[events[i].data.u64], frame)) {
                return fail("connection closed by the server");
            }
        }
    }
}

} // namespace

int main(int argc, char **argv) {
    double port = 0, nconn = 0, duration = 0, payload = 0, nthreads = 1;
    if (argc < 5 || !bench::parse_number(argv[1], port) || !bench::parse_number(argv[2], nconn) ||
        !bench::parse_number(argv[3], duration) || !bench::parse_number(argv[4], payload) ||
        (argc > 5 && !bench::parse_number(argv[5], nthreads)) || port < 1 || port > 65535 ||
        nconn < 1 || duration <= 0 || payload < 0 || payload > 65535 || nthreads < 1) {
        std::fprintf(stderr, "usage: %s PORT CONNS SECONDS PAYLOAD [THREADS]\n", argv[0]);
        return 2;
    }
    std::string frame(2 + static_cast<size_t>(payload), '\0');
    frame[0] = static_cast<char>(static_cast<unsigned>(payload) >> 8);
    frame[1] = static_cast<char>(static_cast<unsigned>(payload) & 0xff);
    for (size_t i = 2; i < frame.size(); ++i)
        frame[i] = static_cast<char>((i * 31 + 7) & 0xff);

    size_t threads = static_cast<size_t>(nthreads);
    std::vector<std::vector<Conn>> groups(threads);
    auto deadline = bench::Clock::now() + std::chrono::seconds(10);
    for (size_t i = 0; i < static_cast<size_t>(nconn); ++i) {
        bench::Fd fd;
        while (!(fd = bench::connect_loopback(static_cast<uint16_t>(port))).valid()) {
            if (bench::Clock::now() > deadline) {
                std::printf("BENCH_ERROR gate_echo_native cannot connect to 127.0.0.1:%.0f\n",
                            port);
                return 1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
        groups[i % threads].push_back(Conn{std::move(fd), {}});
    }
    // the gate hands each connection to its agent asynchronously
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    std::vector<std::thread> loops;
    for (auto &g : groups)
        loops.emplace_back(event_loop, std::ref(g), std::cref(frame));
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // warm-up
    uint64_t r0 = round_trips.load();
    auto t0 = bench::Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(duration));
    uint64_t n = round_trips.load() - r0;
    double elapsed = bench::seconds_since(t0);
    running = false;
    for (auto &t : loops)
        t.join();

    if (const char *why = failure.load()) {
        std::printf("BENCH_ERROR gate_echo_native %s\n", why);
        return 1;
    }
    std::printf("# gate_echo_native: %llu round trips over %.0f connections in %.2f s (%.0f-byte "
                "payload, %zu thread(s))\n",
                static_cast<unsigned long long>(n), nconn, elapsed, payload, threads);
    std::printf("BENCH gate_echo_native %.2f rt/s\n", n / elapsed);
    return 0;
}
