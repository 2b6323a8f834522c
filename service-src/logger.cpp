// logger: the default log service, on spdlog. Without a file name it writes
// to stdout; with one it appends to the file, reopens it on SIGHUP and, with
// `logrotate_size`, rotates it by size keeping `logrotate_keep` old files.
//
// Lines are handed to the OS in batches: the logger flushes whenever its
// mailbox is empty, so an idle node has every line written at once and a
// flood is written a buffer at a time (see docs/operations.md).
#include "context.h"
#include "env.h"
#include "log.h"
#include "server.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

// Upstream's file logger stamps "%d/%m/%y %H:%M:%S.cc " on every line.
constexpr const char *DEFAULT_TIME_FORMAT = "%d/%m/%y %H:%M:%S";

struct logger_options {
    std::string filename;   // empty: stdout
    size_t rotate_size = 0; // 0: never rotate
    size_t rotate_keep = 5;
    bool timestamp = false;
    std::string time_format = DEFAULT_TIME_FORMAT;
};

// The "%d/%m/%y %H:%M:%S" part changes once a second: keep it.
struct time_prefix {
    time_t second = -1;
    std::string text;
};

struct logger {
    skynet_context *ctx = nullptr;
    logger_options opt;
    std::shared_ptr<spdlog::logger> out;
    time_prefix clock;
    std::string line;     // reused for every line: no allocation per line
    size_t unwritten = 0; // lines counted, not written, once the drain time is over
};

// "10M", "512K", "1G" or plain bytes.
std::optional<size_t> parse_size(std::string_view s) {
    char *end = nullptr;
    std::string copy(s);
    unsigned long long n = std::strtoull(copy.c_str(), &end, 10);
    if (end == copy.c_str())
        return std::nullopt;
    std::string_view unit(end);
    size_t scale = 1;
    if (unit == "K" || unit == "k")
        scale = 1024;
    else if (unit == "M" || unit == "m")
        scale = 1024 * 1024;
    else if (unit == "G" || unit == "g")
        scale = 1024 * 1024 * 1024;
    else if (!unit.empty())
        return std::nullopt;
    return static_cast<size_t>(n) * scale;
}

std::optional<size_t> env_size(const char *key) {
    auto v = skynet_env_get(key);
    if (!v)
        return std::nullopt;
    auto n = parse_size(*v);
    if (!n)
        std::fprintf(stderr, "logger: %s = %s is not a size, ignored\n", key, v->c_str());
    return n;
}

logger_options read_options(const char *parm) {
    logger_options opt;
    opt.filename = parm ? parm : "";
    // As upstream, file lines carry a timestamp and stdout lines do not.
    opt.timestamp = !opt.filename.empty();
    if (auto v = skynet_env_get("logtimestamp"))
        opt.timestamp = *v == "true";
    if (auto v = skynet_env_get("logtimeformat"))
        opt.time_format = *v;
    opt.rotate_size = env_size("logrotate_size").value_or(0);
    opt.rotate_keep = env_size("logrotate_keep").value_or(opt.rotate_keep);
    skynet_log_limit(env_size("logbuffer").value_or(0));
    return opt;
}

std::shared_ptr<spdlog::sinks::sink> make_sink(const logger_options &opt) {
    if (opt.filename.empty())
        return std::make_shared<spdlog::sinks::stdout_sink_st>();
    if (opt.rotate_size > 0)
        return std::make_shared<spdlog::sinks::rotating_file_sink_st>(opt.filename, opt.rotate_size,
                                                                      opt.rotate_keep);
    return std::make_shared<spdlog::sinks::basic_file_sink_st>(opt.filename, false);
}

std::shared_ptr<spdlog::logger> make_logger(const logger_options &opt) {
    auto log = std::make_shared<spdlog::logger>("skynet", make_sink(opt));
    // We format the line ourselves: upstream's layout, not spdlog's.
    log->set_pattern("%v");
    log->set_level(spdlog::level::trace);
    return log;
}

void append_time(logger &inst) {
    uint64_t now = skynet_now();
    time_t ti = skynet_starttime() + now / 100;
    if (ti != inst.clock.second) {
        tm info;
        localtime_r(&ti, &info);
        char buf[128];
        size_t n = std::strftime(buf, sizeof(buf), inst.opt.time_format.c_str(), &info);
        inst.clock.text.assign(buf, n);
        inst.clock.second = ti;
    }
    char cs[8];
    std::snprintf(cs, sizeof(cs), ".%02d ", static_cast<int>(now % 100));
    inst.line += inst.clock.text;
    inst.line += cs;
}

void write_line(logger &inst, uint32_t source, std::string_view text) {
    inst.line.clear();
    if (inst.opt.timestamp)
        append_time(inst);
    char head[16];
    std::snprintf(head, sizeof(head), "[:%08x] ", source);
    inst.line += head;
    inst.line += text;
    inst.out->info(std::string_view(inst.line));
}

// Lines refused while the logger was over `logbuffer` are reported in the log.
void report_dropped(logger &inst) {
    if (size_t dropped = skynet_log_take_dropped()) {
        std::string text = std::to_string(dropped) + " lines dropped (logbuffer full)";
        write_line(inst, 0, text);
    }
}

void reopen(logger &inst) {
    if (inst.opt.filename.empty())
        return;
    try {
        inst.out->flush();
        inst.out = make_logger(inst.opt);
    } catch (const spdlog::spdlog_ex &) {
        // Keep the old file: logging continues where it was.
    }
}

bool mailbox_empty(const logger &inst) {
    return skynet_mq_length(inst.ctx->queue) == 0;
}

// The node is stopping and its drain time is over: count what is left, and
// say so once the mailbox is empty.
void skip_line(logger &inst) {
    ++inst.unwritten;
    if (!mailbox_empty(inst))
        return;
    std::string text =
        "Shutdown: " + std::to_string(inst.unwritten) +
        " log lines not written (logdrain = " + skynet_env_get("logdrain").value_or("5") +
        " s elapsed)";
    write_line(inst, 0, text);
    inst.out->flush();
    inst.unwritten = 0;
}

int logger_cb(skynet_context *, void *ud, int type, int, uint32_t source, const void *msg,
              size_t sz) {
    auto &inst = *static_cast<logger *>(ud);
    switch (type) {
    case PTYPE_SYSTEM:
        reopen(inst);
        break;
    case PTYPE_TEXT:
        skynet_log_consumed(sz);
        if (!skynet_log_writing()) {
            skip_line(inst);
            break;
        }
        write_line(inst, source, std::string_view(static_cast<const char *>(msg), sz));
        report_dropped(inst);
        if (mailbox_empty(inst))
            inst.out->flush();
        break;
    }
    return 0;
}

void *logger_create() {
    return std::make_unique<logger>().release();
}

void logger_release(void *ud) {
    std::unique_ptr<logger> inst(static_cast<logger *>(ud));
    if (inst->out) {
        report_dropped(*inst);
        inst->out->flush();
    }
}

int logger_init(void *ud, skynet_context *ctx, const char *parm) {
    auto &inst = *static_cast<logger *>(ud);
    inst.ctx = ctx;
    try {
        inst.opt = read_options(parm);
        inst.out = make_logger(inst.opt);
    } catch (const spdlog::spdlog_ex &e) {
        std::fprintf(stderr, "logger: %s\n", e.what());
        return 1;
    }
    skynet_callback(ctx, &inst, logger_cb);
    return 0;
}

} // namespace

#include "module.h"

extern const skynet_module logger_module = {
    "logger", nullptr, logger_create, logger_init, logger_release, nullptr,
};
