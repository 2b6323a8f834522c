// loopback_limit: what one TCP stream over 127.0.0.1 carries on this machine
// without skynet: a sender thread writes fixed-size chunks, a receiver thread
// reads and counts. Prints "BENCH loopback_limit <MB/s> MB/s" (10^6 bytes).
//
//   loopback SECONDS [CHUNK_BYTES]
#include "common.h"

#include <atomic>
#include <thread>
#include <vector>

namespace {

std::atomic<uint64_t> received{0};
std::atomic<bool> streaming{true};

void receive(bench::Fd listener) {
    bench::Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    listener.reset();
    if (!conn.valid())
        return;
    std::vector<char> buf(256 * 1024);
    for (;;) {
        ssize_t n = ::read(conn.get(), buf.data(), buf.size());
        if (n <= 0)
            return;
        received.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    }
}

void send_until_stopped(bench::Fd conn, size_t chunk) {
    std::vector<char> buf(chunk, 'z');
    while (streaming.load(std::memory_order_relaxed)) {
        size_t off = 0;
        while (off < chunk) {
            ssize_t n = ::write(conn.get(), buf.data() + off, chunk - off);
            if (n <= 0)
                return;
            off += static_cast<size_t>(n);
        }
    }
    ::shutdown(conn.get(), SHUT_WR);
}

} // namespace

int main(int argc, char **argv) {
    double duration = 0, chunk = 65536;
    if (argc < 2 || !bench::parse_number(argv[1], duration) || duration <= 0 ||
        (argc > 2 && (!bench::parse_number(argv[2], chunk) || chunk < 1))) {
        std::fprintf(stderr, "usage: %s SECONDS [CHUNK_BYTES]\n", argv[0]);
        return 2;
    }
    uint16_t port = 0;
    bench::Fd listener = bench::listen_loopback(0, port);
    if (!listener.valid()) {
        std::printf("BENCH_ERROR loopback_limit cannot listen on 127.0.0.1\n");
        return 1;
    }
    std::thread receiver(receive, std::move(listener));
    bench::Fd conn = bench::connect_loopback(port);
    if (!conn.valid()) {
        std::printf("BENCH_ERROR loopback_limit cannot connect to 127.0.0.1:%u\n", port);
        std::_Exit(1); // the receiver thread is stuck in accept
    }
    std::thread sender(send_until_stopped, std::move(conn), static_cast<size_t>(chunk));

    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // warm-up
    uint64_t b0 = received.load();
    auto t0 = bench::Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(duration));
    uint64_t bytes = received.load() - b0;
    double elapsed = bench::seconds_since(t0);
    streaming = false;
    sender.join();
    receiver.join();

    std::printf("# loopback_limit: %.1f MB in %.2f s, %.0f-byte writes, one stream, 2 threads\n",
                bytes / 1e6, elapsed, chunk);
    std::printf("BENCH loopback_limit %.2f MB/s\n", bytes / elapsed / 1e6);
    return 0;
}
