// skynet_command: the text verbs services use to talk to the runtime.
#include "context.h"
#include "env.h"
#include "handle.h"
#include "log.h"
#include "shutdown.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using command_fn = const char *(*)(skynet_context *, const char *);

bool empty_param(const char *param) {
    return param == nullptr || param[0] == '\0';
}

const char *result_hex(skynet_context *ctx, uint32_t handle) {
    std::snprintf(ctx->result, sizeof(ctx->result), ":%x", handle);
    return ctx->result;
}

const char *cmd_timeout(skynet_context *ctx, const char *param) {
    int ti = static_cast<int>(std::strtol(param, nullptr, 10));
    int session = skynet_context_newsession(ctx);
    skynet_timeout(ctx->handle, ti, session);
    std::snprintf(ctx->result, sizeof(ctx->result), "%d", session);
    return ctx->result;
}

const char *cmd_reg(skynet_context *ctx, const char *param) {
    if (empty_param(param))
        return result_hex(ctx, ctx->handle);
    if (param[0] == '.') {
        if (!skynet_handle_namehandle(ctx->handle, param + 1))
            return nullptr;
        std::snprintf(ctx->result, sizeof(ctx->result), "%s", param + 1);
        return ctx->result;
    }
    skynet_error(ctx, "error: Can't register global name %s in C", param);
    return nullptr;
}

const char *cmd_query(skynet_context *ctx, const char *param) {
    if (param && param[0] == '.') {
        if (uint32_t handle = skynet_handle_findname(param + 1))
            return result_hex(ctx, handle);
    }
    return nullptr;
}

const char *cmd_name(skynet_context *ctx, const char *param) {
    if (param == nullptr)
        return nullptr;
    std::string_view p(param);
    size_t sp = p.find(' ');
    if (sp == std::string_view::npos)
        return nullptr;
    std::string name(p.substr(0, sp));
    std::string_view h = p.substr(sp + 1);
    if (h.empty() || h[0] != ':' || name.empty())
        return nullptr;
    uint32_t handle =
        static_cast<uint32_t>(std::strtoul(std::string(h.substr(1)).c_str(), nullptr, 16));
    if (handle == 0)
        return nullptr;
    if (name[0] == '.') {
        if (!skynet_handle_namehandle(handle, name.c_str() + 1))
            return nullptr;
        std::snprintf(ctx->result, sizeof(ctx->result), "%s", name.c_str() + 1);
        return ctx->result;
    }
    skynet_error(ctx, "error: Can't set global name %s in C", name.c_str());
    return nullptr;
}

const char *cmd_exit(skynet_context *ctx, const char *) {
    skynet_context_exit_handle(ctx, 0);
    return nullptr;
}

const char *cmd_kill(skynet_context *ctx, const char *param) {
    if (uint32_t handle = skynet_tohandle(ctx, param))
        skynet_context_exit_handle(ctx, handle);
    return nullptr;
}

const char *cmd_launch(skynet_context *ctx, const char *param) {
    if (param == nullptr)
        return nullptr;
    std::string_view p(param);
    size_t b = p.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos)
        return nullptr;
    p = p.substr(b);
    size_t e = p.find_first_of(" \t\r\n");
    std::string mod(p.substr(0, e));
    std::string args;
    if (e != std::string_view::npos && (p[e] == ' ' || p[e] == '\t')) {
        std::string_view rest = p.substr(e + 1);
        args = std::string(rest.substr(0, rest.find_first_of("\r\n")));
    }
    skynet_context *inst = skynet_context_new(mod.c_str(), args.c_str());
    if (inst == nullptr)
        return nullptr;
    std::snprintf(ctx->result, sizeof(ctx->result), ":%08X", skynet_context_handle(inst));
    return ctx->result;
}

const char *cmd_getenv(skynet_context *, const char *param) {
    return skynet_getenv(param);
}

const char *cmd_setenv(skynet_context *, const char *param) {
    std::string_view p(param ? param : "");
    size_t sp = p.find(' ');
    if (sp == std::string_view::npos)
        return nullptr;
    std::string key(p.substr(0, sp));
    skynet_setenv(key.c_str(), std::string(p.substr(sp + 1)).c_str());
    return nullptr;
}

const char *cmd_starttime(skynet_context *ctx, const char *) {
    std::snprintf(ctx->result, sizeof(ctx->result), "%u", skynet_starttime());
    return ctx->result;
}

const char *cmd_abort(skynet_context *, const char *) {
    skynet_shutdown_request(stop_reason::abort);
    return nullptr;
}

const char *cmd_monitor(skynet_context *ctx, const char *param) {
    if (empty_param(param)) {
        uint32_t m = G_NODE.monitor_exit.load();
        return m ? result_hex(ctx, m) : nullptr;
    }
    G_NODE.monitor_exit = skynet_tohandle(ctx, param);
    return nullptr;
}

const char *cmd_stat(skynet_context *ctx, const char *param) {
    std::string_view what(param ? param : "");
    if (what == "mqlen") {
        std::snprintf(ctx->result, sizeof(ctx->result), "%d", skynet_mq_length(ctx->queue));
    } else if (what == "endless") {
        bool was = ctx->endless.exchange(false);
        std::snprintf(ctx->result, sizeof(ctx->result), "%d", was ? 1 : 0);
    } else if (what == "cpu") {
        std::snprintf(ctx->result, sizeof(ctx->result), "%lf",
                      static_cast<double>(ctx->cpu_cost) / 1000000.0);
    } else if (what == "time") {
        if (ctx->profile) {
            uint64_t ti = skynet_callback_clock() - ctx->cpu_start;
            std::snprintf(ctx->result, sizeof(ctx->result), "%lf",
                          static_cast<double>(ti) / 1000000.0);
        } else {
            std::strcpy(ctx->result, "0");
        }
    } else if (what == "message") {
        std::snprintf(ctx->result, sizeof(ctx->result), "%d", ctx->message_count);
    } else {
        ctx->result[0] = '\0';
    }
    return ctx->result;
}

// Runs `fn` on the service named by the first word of `param`, holding a
// reference so that it cannot be retired meanwhile; unknown targets are ignored.
using target_fn = void (*)(skynet_context *ctx, skynet_context *target, uint32_t handle,
                           const char *param);

const char *with_target(skynet_context *ctx, const char *param, target_fn fn) {
    uint32_t handle = skynet_tohandle(ctx, param);
    if (handle == 0)
        return nullptr;
    skynet_context *target = skynet_handle_grab(handle);
    if (target == nullptr)
        return nullptr;
    fn(ctx, target, handle, param);
    skynet_context_release(target);
    return nullptr;
}

const char *cmd_logon(skynet_context *ctx, const char *param) {
    return with_target(
        ctx, param, [](skynet_context *ctx, skynet_context *target, uint32_t handle, const char *) {
            if (target->logfile.load() != nullptr)
                return;
            FILE *f = skynet_log_open(ctx, handle);
            FILE *expected = nullptr;
            if (f && !target->logfile.compare_exchange_strong(expected, f))
                std::fclose(f); // another thread opened it first
        });
}

const char *cmd_logoff(skynet_context *ctx, const char *param) {
    return with_target(
        ctx, param, [](skynet_context *ctx, skynet_context *target, uint32_t handle, const char *) {
            if (FILE *f = target->logfile.exchange(nullptr))
                skynet_log_close(ctx, f, handle);
        });
}

const char *cmd_signal(skynet_context *ctx, const char *param) {
    return with_target(ctx, param,
                       [](skynet_context *, skynet_context *target, uint32_t, const char *param) {
                           int sig = 0;
                           if (const char *sp = std::strchr(param, ' '))
                               sig = static_cast<int>(std::strtol(sp + 1, nullptr, 0));
                           skynet_module_instance_signal(target->mod, target->instance, sig);
                       });
}

struct command_entry {
    const char *name;
    command_fn func;
};

const command_entry cmd_funcs[] = {
    {"TIMEOUT", cmd_timeout},     {"REG", cmd_reg},       {"QUERY", cmd_query},
    {"NAME", cmd_name},           {"EXIT", cmd_exit},     {"KILL", cmd_kill},
    {"LAUNCH", cmd_launch},       {"GETENV", cmd_getenv}, {"SETENV", cmd_setenv},
    {"STARTTIME", cmd_starttime}, {"ABORT", cmd_abort},   {"MONITOR", cmd_monitor},
    {"STAT", cmd_stat},           {"LOGON", cmd_logon},   {"LOGOFF", cmd_logoff},
    {"SIGNAL", cmd_signal},
};

} // namespace

uint32_t skynet_tohandle(skynet_context *ctx, const char *param) {
    if (param == nullptr)
        return 0;
    if (param[0] == ':')
        return static_cast<uint32_t>(std::strtoul(param + 1, nullptr, 16));
    if (param[0] == '.')
        return skynet_handle_findname(param + 1);
    skynet_error(ctx, "error: Can't convert %s to handle", param);
    return 0;
}

void skynet_context_exit_handle(skynet_context *ctx, uint32_t handle) {
    if (handle == 0) {
        handle = ctx->handle;
        skynet_error(ctx, "KILL self");
    } else {
        skynet_error(ctx, "KILL :%x", handle);
    }
    if (uint32_t monitor = G_NODE.monitor_exit.load())
        skynet_send(ctx, handle, monitor, PTYPE_CLIENT, 0, nullptr, 0);
    skynet_handle_retire(handle);
}

extern "C" const char *skynet_command(skynet_context *context, const char *cmd, const char *param) {
    for (const command_entry &c : cmd_funcs)
        if (std::strcmp(cmd, c.name) == 0)
            return c.func(context, param);
    return nullptr;
}
