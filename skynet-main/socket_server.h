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

#endif
