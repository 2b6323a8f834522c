// logger: the default log service, on spdlog. Without a file name it writes
// to stdout; with one it appends to the file and reopens it on SIGHUP.
#include "server.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <memory>
#include <string>

namespace {

struct logger {
    std::shared_ptr<spdlog::logger> out;
    std::string filename; // empty: stdout
};

std::shared_ptr<spdlog::logger> make_logger(const std::string &filename) {
    std::shared_ptr<spdlog::logger> log;
    if (filename.empty()) {
        log = std::make_shared<spdlog::logger>("skynet",
                                               std::make_shared<spdlog::sinks::stdout_sink_st>());
    } else {
        log = std::make_shared<spdlog::logger>(
            "skynet", std::make_shared<spdlog::sinks::basic_file_sink_st>(filename, false));
    }
    // We format the line ourselves: upstream's layout, not spdlog's.
    log->set_pattern("%v");
    log->set_level(spdlog::level::trace);
    log->flush_on(spdlog::level::trace);
    return log;
}

// "%d/%m/%y %H:%M:%S.cc " from the node clock, as upstream's file logger.
std::string timestring() {
    uint64_t now = skynet_now();
    time_t ti = skynet_starttime() + now / 100;
    tm info;
    localtime_r(&ti, &info);
    char buf[64];
    size_t n = std::strftime(buf, sizeof(buf), "%d/%m/%y %H:%M:%S", &info);
    std::snprintf(buf + n, sizeof(buf) - n, ".%02d ", static_cast<int>(now % 100));
    return buf;
}

int logger_cb(skynet_context *, void *ud, int type, int, uint32_t source, const void *msg,
              size_t sz) {
    auto *inst = static_cast<logger *>(ud);
    switch (type) {
    case PTYPE_SYSTEM:
        if (!inst->filename.empty()) {
            try {
                inst->out = make_logger(inst->filename);
            } catch (const spdlog::spdlog_ex &) {
                // Keep the old file: logging continues where it was.
            }
        }
        break;
    case PTYPE_TEXT: {
        char head[16];
        std::snprintf(head, sizeof(head), "[:%08x] ", source);
        std::string line;
        if (!inst->filename.empty())
            line = timestring();
        line += head;
        line.append(static_cast<const char *>(msg), sz);
        inst->out->info(line);
        break;
    }
    }
    return 0;
}

void *logger_create() {
    return std::make_unique<logger>().release();
}

void logger_release(void *inst) {
    std::unique_ptr<logger> owner(static_cast<logger *>(inst));
}

int logger_init(void *ud, skynet_context *ctx, const char *parm) {
    auto *inst = static_cast<logger *>(ud);
    try {
        inst->filename = parm ? parm : "";
        inst->out = make_logger(inst->filename);
    } catch (const spdlog::spdlog_ex &e) {
        std::fprintf(stderr, "logger: %s\n", e.what());
        return 1;
    }
    skynet_callback(ctx, inst, logger_cb);
    return 0;
}

} // namespace

#include "module.h"

extern const skynet_module logger_module = {
    "logger", nullptr, logger_create, logger_init, logger_release, nullptr,
};
