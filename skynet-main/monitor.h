// Endless-loop detection: one monitor per worker, checked every 5 s.
#ifndef SKYNET_MONITOR_H
#define SKYNET_MONITOR_H

#include <stdint.h>

struct skynet_monitor;

skynet_monitor *skynet_monitor_new();
void skynet_monitor_delete(skynet_monitor *);
// Called by the worker before (source, destination) and after (0, 0) each callback.
void skynet_monitor_trigger(skynet_monitor *, uint32_t source, uint32_t destination);
// Called by the monitor thread.
void skynet_monitor_check(skynet_monitor *);

#endif
