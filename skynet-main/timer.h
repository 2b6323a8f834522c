// Centisecond timing wheel and the node's clocks.
#ifndef SKYNET_TIMER_H
#define SKYNET_TIMER_H

#include <stdint.h>

void skynet_timer_init();
// Advance the wheel to the monotonic clock and fire expired timeouts (timer thread).
void skynet_updatetime();

#endif
