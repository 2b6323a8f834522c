// How the node stops. Every way of stopping (skynet.abort, a signal, the last
// service exiting, a failed bootstrap) runs the same sequence: retire every
// service but the logger, let the logger write what it was given, bounded by
// the drain time, then retire the logger.
#ifndef SKYNET_SHUTDOWN_H
#define SKYNET_SHUTDOWN_H

#include <stdint.h>
#include <string>

enum class stop_reason { none, signal, abort, last_service, bootstrap_error };

// Seconds the logger may take to write its backlog once the node stops.
void skynet_shutdown_init(double drain_seconds, std::string bootstrap_cmdline);

// Any thread. The first request wins; skynet.abort also retires every service
// but the logger at once, as upstream's ABORT does.
void skynet_shutdown_request(stop_reason why);
stop_reason skynet_shutdown_reason();

// Timer thread, every tick once a stop was requested.
void skynet_shutdown_step();

#endif
