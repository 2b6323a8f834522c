// The socket thread's lifecycle, driven by the runtime (start.cpp). The
// service-facing calls are in skynet_socket.h.
#ifndef SKYNET_SOCKET_SERVER_H
#define SKYNET_SOCKET_SERVER_H

#include <stdint.h>

// Create the server; called once before any thread starts.
void skynet_socket_init();
// Body of the socket thread: runs the libuv loop until skynet_socket_exit().
void skynet_socket_run();
// Thread-safe: close every socket and make skynet_socket_run() return.
void skynet_socket_exit();
// Release the server after the socket thread has been joined.
void skynet_socket_free();
// Called by the timer thread every tick so socket stamps (rtime/wtime) use skynet_now().
void skynet_socket_updatetime();

#ifdef __cplusplus

#include <cstddef>
#include <functional>
#include <memory>

struct skynet_socket_message;
struct socket_sendbuffer;
struct socket_info;

namespace skynet {

// What the socket thread needs from its host. skynet_socket.cpp wires these
// to the runtime; unit tests capture them, so the server runs without one.
struct socket_hooks {
    // Hand one event to `owner`. Takes `msg` (skynet_malloc'd, `sz` bytes:
    // 24 + text) and msg->buffer. Called on the socket thread only.
    std::function<void(uint32_t owner, skynet_socket_message *msg, size_t sz)> deliver;
    // After a batch of events, before the socket thread blocks again.
    std::function<void()> wakeup;
    // One log line, without a trailing newline. Called from any thread.
    std::function<void(const char *line)> log;
};

// One libuv loop owning every socket. Every call except run() is
// thread-safe; ids are allocated by the caller, the work is done by the loop.
// Return conventions follow upstream skynet: an id (>0) or -1, and 0 / -1 for
// sends. SOCKET_BUFFER_OBJECT is not supported (no user-object interface
// exists in this runtime): such sends return -1 and log.
class socket_server {
  public:
    explicit socket_server(socket_hooks hooks, int max_socket = 65536);
    ~socket_server(); // after run() has returned (or was never called)
    socket_server(const socket_server &) = delete;
    socket_server &operator=(const socket_server &) = delete;

    void run();  // blocks until exit() has been processed
    void exit(); // close everything (no events) and make run() return
    void updatetime(uint64_t now);

    int listen(uint32_t owner, const char *host, int port, int backlog);
    int connect(uint32_t owner, const char *host, int port);
    int bind(uint32_t owner, int fd);
    void start(uint32_t owner, int id);
    void pause(uint32_t owner, int id);
    void close(uint32_t owner, int id);
    void shutdown(uint32_t owner, int id);
    void nodelay(int id);
    int send(socket_sendbuffer *buf);
    int send_lowpriority(socket_sendbuffer *buf);

    int udp(uint32_t owner, const char *addr, int port);
    int udp_listen(uint32_t owner, const char *addr, int port);
    int udp_dial(uint32_t owner, const char *addr, int port);
    int udp_connect(int id, const char *addr, int port);
    int udp_send(const char *address, socket_sendbuffer *buf);

    // A skynet_malloc'd list (socket_info_release frees it); waits for the loop.
    socket_info *info();

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

} // namespace skynet

#endif

#endif
