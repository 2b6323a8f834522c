/*
 * A tiny external C service built against skynet.h, loaded from `cpath`.
 * It answers every PTYPE_TEXT request with "echo: <text>" and logs each one,
 * which is enough to prove the C ABI: create/init/release, callbacks,
 * skynet_send with DONTCOPY, skynet_command and skynet_error.
 */
#include "skynet.h"

#include <stdio.h>
#include <string.h>

struct echotext {
    int count;
};

struct echotext *echotext_create(void) {
    struct echotext *inst = skynet_malloc(sizeof(*inst));
    inst->count = 0;
    return inst;
}

void echotext_release(struct echotext *inst) {
    skynet_free(inst);
}

static int echotext_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source,
                       const void *msg, size_t sz) {
    struct echotext *inst = ud;
    if (type != PTYPE_TEXT)
        return 0;
    inst->count++;
    skynet_error(ctx, "echotext #%d from :%08x: %.*s", inst->count, source, (int)sz,
                 (const char *)msg);
    if (session != 0) {
        size_t n = sz + 6;
        char *reply = skynet_malloc(n);
        memcpy(reply, "echo: ", 6);
        memcpy(reply + 6, msg, sz);
        skynet_send(ctx, 0, source, PTYPE_RESPONSE | PTYPE_TAG_DONTCOPY, session, reply, n);
    }
    return 0;
}

int echotext_init(struct echotext *inst, struct skynet_context *ctx, const char *parm) {
    skynet_callback(ctx, inst, echotext_cb);
    if (parm && parm[0]) {
        char name[64];
        snprintf(name, sizeof(name), ".%s", parm);
        skynet_command(ctx, "REG", name);
    }
    return 0;
}
