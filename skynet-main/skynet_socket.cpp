// The node's socket server and the C ABI of skynet_socket.h: calls are made
// on behalf of a service (its handle becomes the owner), events come back to
// it as PTYPE_SOCKET messages.
#include "skynet_socket.h"

#include "server.h"
#include "skynet_malloc.h"
#include "socket_server.h"

#include <memory>

namespace {

std::unique_ptr<skynet::socket_server> SERVER;

void forward(uint32_t owner, skynet_socket_message *msg, size_t sz) {
    skynet_message message;
    message.source = 0;
    message.session = 0;
    message.data = msg;
    message.sz = sz | (static_cast<size_t>(PTYPE_SOCKET) << MESSAGE_TYPE_SHIFT);
    if (skynet_context_push(owner, &message) != 0) {
        // The owner is gone: nobody will free what the event carries.
        skynet_free(msg->buffer);
        skynet_free(msg);
    }
}

uint32_t handle_of(skynet_context *ctx) {
    return ctx ? skynet_context_handle(ctx) : 0;
}

void drop(socket_sendbuffer *buffer) {
    if (buffer->type == SOCKET_BUFFER_MEMORY)
        skynet_free(const_cast<void *>(buffer->buffer));
}

} // namespace

void skynet_socket_init() {
    skynet::socket_hooks hooks;
    hooks.deliver = forward;
    hooks.wakeup = [] { skynet_wakeup(0); };
    hooks.log = [](const char *line) { skynet_error(nullptr, "%s", line); };
    SERVER = std::make_unique<skynet::socket_server>(std::move(hooks));
    SERVER->updatetime(skynet_now());
}

void skynet_socket_run() {
    if (SERVER)
        SERVER->run();
}

void skynet_socket_exit() {
    if (SERVER)
        SERVER->exit();
}

void skynet_socket_free() {
    SERVER.reset();
}

void skynet_socket_updatetime() {
    if (SERVER)
        SERVER->updatetime(skynet_now());
}

extern "C" {

int skynet_socket_sendbuffer(skynet_context *, socket_sendbuffer *buffer) {
    if (!SERVER) {
        drop(buffer);
        return -1;
    }
    return SERVER->send(buffer);
}

int skynet_socket_sendbuffer_lowpriority(skynet_context *, socket_sendbuffer *buffer) {
    if (!SERVER) {
        drop(buffer);
        return -1;
    }
    return SERVER->send_lowpriority(buffer);
}

int skynet_socket_listen(skynet_context *ctx, const char *host, int port, int backlog) {
    return SERVER ? SERVER->listen(handle_of(ctx), host, port, backlog) : -1;
}

int skynet_socket_connect(skynet_context *ctx, const char *host, int port) {
    return SERVER ? SERVER->connect(handle_of(ctx), host, port) : -1;
}

int skynet_socket_bind(skynet_context *ctx, int fd) {
    return SERVER ? SERVER->bind(handle_of(ctx), fd) : -1;
}

void skynet_socket_close(skynet_context *ctx, int id) {
    if (SERVER)
        SERVER->close(handle_of(ctx), id);
}

void skynet_socket_shutdown(skynet_context *ctx, int id) {
    if (SERVER)
        SERVER->shutdown(handle_of(ctx), id);
}

void skynet_socket_start(skynet_context *ctx, int id) {
    if (SERVER)
        SERVER->start(handle_of(ctx), id);
}

void skynet_socket_pause(skynet_context *ctx, int id) {
    if (SERVER)
        SERVER->pause(handle_of(ctx), id);
}

void skynet_socket_nodelay(skynet_context *, int id) {
    if (SERVER)
        SERVER->nodelay(id);
}

int skynet_socket_udp(skynet_context *ctx, const char *addr, int port) {
    return SERVER ? SERVER->udp(handle_of(ctx), addr, port) : -1;
}

int skynet_socket_udp_connect(skynet_context *, int id, const char *addr, int port) {
    return SERVER ? SERVER->udp_connect(id, addr, port) : -1;
}

int skynet_socket_udp_dial(skynet_context *ctx, const char *addr, int port) {
    return SERVER ? SERVER->udp_dial(handle_of(ctx), addr, port) : -1;
}

int skynet_socket_udp_listen(skynet_context *ctx, const char *addr, int port) {
    return SERVER ? SERVER->udp_listen(handle_of(ctx), addr, port) : -1;
}

int skynet_socket_udp_sendbuffer(skynet_context *, const char *address, socket_sendbuffer *buffer) {
    if (!SERVER) {
        drop(buffer);
        return -1;
    }
    return SERVER->udp_send(address, buffer);
}

// The sender's address follows the payload in a UDP event's buffer.
const char *skynet_socket_udp_address(skynet_socket_message *msg, int *addrsz) {
    if (msg == nullptr || msg->type != SKYNET_SOCKET_TYPE_UDP || msg->buffer == nullptr)
        return nullptr;
    const char *address = msg->buffer + msg->ud;
    switch (address[0]) {
    case 1:
        *addrsz = 1 + 2 + 4;
        return address;
    case 2:
        *addrsz = 1 + 2 + 16;
        return address;
    default:
        return nullptr;
    }
}

socket_info *skynet_socket_info(void) {
    return SERVER ? SERVER->info() : nullptr;
}

void socket_info_release(socket_info *si) {
    while (si) {
        socket_info *next = si->next;
        skynet_free(si);
        si = next;
    }
}

} // extern "C"
