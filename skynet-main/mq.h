// Per-service message queues and the global queue of runnable services.
#ifndef SKYNET_MQ_H
#define SKYNET_MQ_H

#include "server.h"

#include <stdint.h>

struct message_queue;

void skynet_globalmq_push(message_queue *q);
message_queue *skynet_globalmq_pop();

message_queue *skynet_mq_create(uint32_t handle);
void skynet_mq_mark_release(message_queue *q);

typedef void (*message_drop)(skynet_message *, void *);
// Free q (and drop its messages) if marked released; otherwise put it back in the global queue.
void skynet_mq_release(message_queue *q, message_drop drop_func, void *ud);
uint32_t skynet_mq_handle(message_queue *q);

// 0 on success, 1 when empty.
int skynet_mq_pop(message_queue *q, skynet_message *message);
void skynet_mq_push(message_queue *q, skynet_message *message);

int skynet_mq_length(message_queue *q);
// Queue length to report once it passes the overload threshold, else 0.
int skynet_mq_overload(message_queue *q);

void skynet_mq_init();

#endif
