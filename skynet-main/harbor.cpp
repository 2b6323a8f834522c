#include "harbor.h"

#include "handle.h"
#include "server.h"

#include <atomic>
#include <cassert>

namespace {

std::atomic<skynet_context *> REMOTE{nullptr};
uint32_t HARBOR = ~0u;

} // namespace

void skynet_harbor_send(remote_message *rmsg, uint32_t source, int session) {
    assert(REMOTE.load() != nullptr);
    skynet_context_send(REMOTE.load(), rmsg, sizeof(*rmsg), source, PTYPE_SYSTEM, session);
}

int skynet_harbor_message_isremote(uint32_t handle) {
    assert(HARBOR != ~0u);
    uint32_t h = handle & ~uint32_t(HANDLE_MASK);
    return h != HARBOR && h != 0;
}

void skynet_harbor_init(int harbor) {
    HARBOR = static_cast<uint32_t>(harbor) << HANDLE_REMOTE_SHIFT;
}

extern "C" void skynet_harbor_start(void *ctx) {
    // The harbor service holds a reserved reference: it is not counted as a
    // live service, so the node can end while it still exists.
    auto *c = static_cast<skynet_context *>(ctx);
    skynet_context_reserve(c);
    REMOTE = c;
}

void skynet_harbor_exit() {
    skynet_context *ctx = REMOTE.exchange(nullptr);
    if (ctx)
        skynet_context_release(ctx);
}
