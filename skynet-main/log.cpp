#include "log.h"

#include "server.h"
#include "skynet_socket.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace {

std::atomic<uint32_t> logger{0};

// Bytes queued to the logger and not yet written, against `limit`.
std::atomic<size_t> limit{0};
std::atomic<int64_t> pending{0};
std::atomic<size_t> dropped{0};
std::atomic<bool> writing{true};

bool over_limit(size_t len) {
    size_t bound = limit.load(std::memory_order_relaxed);
    if (bound == 0)
        return false;
    int64_t now = pending.fetch_add(static_cast<int64_t>(len), std::memory_order_relaxed);
    if (now + static_cast<int64_t>(len) <= static_cast<int64_t>(bound))
        return false;
    pending.fetch_sub(static_cast<int64_t>(len), std::memory_order_relaxed);
    dropped.fetch_add(1, std::memory_order_relaxed);
    return true;
}

uint32_t logger_handle() {
    uint32_t log = logger.load(std::memory_order_relaxed);
    if (log == 0) {
        log = skynet_handle_findname("logger");
        logger.store(log, std::memory_order_relaxed);
    }
    return log;
}

// Hands `data` (skynet_malloc'd, len bytes) to the logger.
void send_to_logger(uint32_t log, skynet_context *context, char *data, size_t len) {
    if (over_limit(len)) {
        skynet_free(data);
        return;
    }
    skynet_message smsg;
    smsg.source = context ? skynet_context_handle(context) : 0;
    smsg.session = 0;
    smsg.data = data;
    smsg.sz = len | (static_cast<size_t>(PTYPE_TEXT) << MESSAGE_TYPE_SHIFT);
    if (skynet_context_push(log, &smsg) != 0) {
        // The logger is gone (retired or restarted): look it up again next time.
        logger.store(0, std::memory_order_relaxed);
        if (limit.load(std::memory_order_relaxed))
            pending.fetch_sub(static_cast<int64_t>(len), std::memory_order_relaxed);
        skynet_free(data);
    }
}

} // namespace

void skynet_log_limit(size_t bytes) {
    limit.store(bytes);
}

void skynet_log_consumed(size_t sz) {
    if (limit.load(std::memory_order_relaxed))
        pending.fetch_sub(static_cast<int64_t>(sz), std::memory_order_relaxed);
}

void skynet_log_stop_writing() {
    writing.store(false);
}

int skynet_log_writing() {
    return writing.load(std::memory_order_relaxed);
}

size_t skynet_log_take_dropped() {
    if (dropped.load(std::memory_order_relaxed) == 0)
        return 0;
    return dropped.exchange(0, std::memory_order_relaxed);
}

void skynet_error_string(skynet_context *context, const char *s, size_t len) {
    uint32_t log = logger_handle();
    if (log == 0)
        return;
    auto *data = static_cast<char *>(skynet_malloc(len + 1));
    std::memcpy(data, s, len);
    data[len] = '\0';
    send_to_logger(log, context, data, len);
}

extern "C" void skynet_error(skynet_context *context, const char *msg, ...) {
    uint32_t log = logger_handle();
    if (log == 0)
        return;

    char tmp[256];
    va_list ap;
    va_start(ap, msg);
    int len = std::vsnprintf(tmp, sizeof(tmp), msg, ap);
    va_end(ap);
    if (len < 0)
        return;
    auto *data = static_cast<char *>(skynet_malloc(len + 1));
    if (len < static_cast<int>(sizeof(tmp))) {
        std::memcpy(data, tmp, len + 1);
    } else {
        va_start(ap, msg);
        std::vsnprintf(data, len + 1, msg, ap);
        va_end(ap);
    }
    send_to_logger(log, context, data, static_cast<size_t>(len));
}

FILE *skynet_log_open(skynet_context *ctx, uint32_t handle) {
    const char *logpath = skynet_getenv("logpath");
    if (logpath == nullptr)
        return nullptr;
    std::string name = std::string(logpath) + "/" + [&] {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%08x.log", handle);
        return std::string(buf);
    }();
    FILE *f = std::fopen(name.c_str(), "ab");
    if (f) {
        uint32_t starttime = skynet_starttime();
        uint64_t currenttime = skynet_now();
        time_t ti = starttime + currenttime / 100;
        skynet_error(ctx, "Open log file %s", name.c_str());
        std::fprintf(f, "open time: %u %s", static_cast<uint32_t>(currenttime), std::ctime(&ti));
        std::fflush(f);
    } else {
        skynet_error(ctx, "Open log file %s fail", name.c_str());
    }
    return f;
}

void skynet_log_close(skynet_context *ctx, FILE *f, uint32_t handle) {
    skynet_error(ctx, "Close log file :%08x", handle);
    std::fprintf(f, "close time: %u\n", static_cast<uint32_t>(skynet_now()));
    std::fclose(f);
}

namespace {

void log_blob(FILE *f, const void *buffer, size_t sz) {
    auto *p = static_cast<const unsigned char *>(buffer);
    for (size_t i = 0; i != sz; i++)
        std::fprintf(f, "%02x", p[i]);
}

void log_socket(FILE *f, const skynet_socket_message *message, size_t sz) {
    std::fprintf(f, "[socket] %d %d %d ", message->type, message->id, message->ud);
    if (message->buffer == nullptr) {
        const char *buffer = reinterpret_cast<const char *>(message + 1);
        sz -= sizeof(*message);
        const void *eol = std::memchr(buffer, '\0', sz);
        if (eol)
            sz = static_cast<const char *>(eol) - buffer;
        std::fprintf(f, "[%.*s]", static_cast<int>(sz), buffer);
    } else {
        sz = message->ud;
        log_blob(f, message->buffer, sz);
    }
    std::fprintf(f, "\n");
    std::fflush(f);
}

} // namespace

void skynet_log_output(FILE *f, uint32_t source, int type, int session, void *buffer, size_t sz) {
    if (type == PTYPE_SOCKET) {
        log_socket(f, static_cast<skynet_socket_message *>(buffer), sz);
        return;
    }
    uint32_t ti = static_cast<uint32_t>(skynet_now());
    std::fprintf(f, ":%08x %d %d %u ", source, type, session, ti);
    log_blob(f, buffer, sz);
    std::fprintf(f, "\n");
    std::fflush(f);
}
