// The runtime side of the harbor: routing of messages for remote handles and
// global names to the harbor service.
#ifndef SKYNET_HARBOR_H
#define SKYNET_HARBOR_H

#include <stddef.h>
#include <stdint.h>

#define GLOBALNAME_LENGTH 16
#define REMOTE_MAX 256

struct remote_name {
    char name[GLOBALNAME_LENGTH];
    uint32_t handle;
};

struct remote_message {
    remote_name destination;
    const void *message;
    size_t sz;
    int type;
};

struct skynet_context;

void skynet_harbor_send(remote_message *rmsg, uint32_t source, int session);
int skynet_harbor_message_isremote(uint32_t handle);
void skynet_harbor_init(int harbor);
extern "C" void skynet_harbor_start(void *ctx);
void skynet_harbor_exit();

#endif
