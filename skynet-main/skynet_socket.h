// Socket ABI seen by services: the PTYPE_SOCKET payload and the calls that
// queue work for the socket thread. Layout and values match upstream.
#ifndef SKYNET_SOCKET_H
#define SKYNET_SOCKET_H

#include <stddef.h>
#include <stdint.h>

struct skynet_context;

#define SKYNET_SOCKET_TYPE_DATA 1
#define SKYNET_SOCKET_TYPE_CONNECT 2
#define SKYNET_SOCKET_TYPE_CLOSE 3
#define SKYNET_SOCKET_TYPE_ACCEPT 4
#define SKYNET_SOCKET_TYPE_ERROR 5
#define SKYNET_SOCKET_TYPE_UDP 6
#define SKYNET_SOCKET_TYPE_WARNING 7

// Payload of every PTYPE_SOCKET message (24 bytes on LP64). For CONNECT, ERROR
// and ACCEPT the text follows the struct inside the same allocation and
// `buffer` is NULL; otherwise `buffer` is a skynet_malloc'd block the receiver
// owns (or NULL).
struct skynet_socket_message {
    int type;
    int id;
    int ud;
    char *buffer;
};

#define SOCKET_BUFFER_MEMORY 0
#define SOCKET_BUFFER_OBJECT 1
#define SOCKET_BUFFER_RAWPOINTER 2

struct socket_sendbuffer {
    int id;
    int type;
    const void *buffer;
    size_t sz;
};

#define SOCKET_INFO_UNKNOWN 0
#define SOCKET_INFO_LISTEN 1
#define SOCKET_INFO_TCP 2
#define SOCKET_INFO_UDP 3
#define SOCKET_INFO_BIND 4
#define SOCKET_INFO_CLOSING 5

// One entry of skynet_socket_info(): a singly linked list released with
// socket_info_release().
struct socket_info {
    int id;
    int type;
    uint64_t opaque; // owner handle
    uint64_t read;
    uint64_t write;
    uint64_t rtime;
    uint64_t wtime;
    int64_t wbuffer;
    uint8_t reading;
    uint8_t writing;
    char name[128];
    struct socket_info *next;
};

#ifdef __cplusplus
extern "C" {
#endif

int skynet_socket_sendbuffer(struct skynet_context *ctx, struct socket_sendbuffer *buffer);
int skynet_socket_sendbuffer_lowpriority(struct skynet_context *ctx,
                                         struct socket_sendbuffer *buffer);
int skynet_socket_listen(struct skynet_context *ctx, const char *host, int port, int backlog);
int skynet_socket_connect(struct skynet_context *ctx, const char *host, int port);
int skynet_socket_bind(struct skynet_context *ctx, int fd);
void skynet_socket_close(struct skynet_context *ctx, int id);
void skynet_socket_shutdown(struct skynet_context *ctx, int id);
void skynet_socket_start(struct skynet_context *ctx, int id);
void skynet_socket_pause(struct skynet_context *ctx, int id);
void skynet_socket_nodelay(struct skynet_context *ctx, int id);

int skynet_socket_udp(struct skynet_context *ctx, const char *addr, int port);
int skynet_socket_udp_connect(struct skynet_context *ctx, int id, const char *addr, int port);
int skynet_socket_udp_dial(struct skynet_context *ctx, const char *addr, int port);
int skynet_socket_udp_listen(struct skynet_context *ctx, const char *addr, int port);
int skynet_socket_udp_sendbuffer(struct skynet_context *ctx, const char *address,
                                 struct socket_sendbuffer *buffer);
const char *skynet_socket_udp_address(struct skynet_socket_message *, int *addrsz);

struct socket_info *skynet_socket_info(void);
void socket_info_release(struct socket_info *);

#ifdef __cplusplus
}
#endif

static inline int skynet_socket_send(struct skynet_context *ctx, int id, void *buffer, int sz) {
    struct socket_sendbuffer tmp = {id, SOCKET_BUFFER_MEMORY, buffer, (size_t)sz};
    return skynet_socket_sendbuffer(ctx, &tmp);
}

static inline int skynet_socket_send_lowpriority(struct skynet_context *ctx, int id, void *buffer,
                                                 int sz) {
    struct socket_sendbuffer tmp = {id, SOCKET_BUFFER_MEMORY, buffer, (size_t)sz};
    return skynet_socket_sendbuffer_lowpriority(ctx, &tmp);
}

static inline int skynet_socket_udp_send(struct skynet_context *ctx, int id, const char *address,
                                         const void *buffer, int sz) {
    struct socket_sendbuffer tmp = {id, SOCKET_BUFFER_MEMORY, buffer, (size_t)sz};
    return skynet_socket_udp_sendbuffer(ctx, address, &tmp);
}

#endif
