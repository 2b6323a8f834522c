// ./skynet <config> | --version | --help | --check <config>
#include "check.h"
#include "config.h"
#include "env.h"
#include "server.h"
#include "start.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr int MAX_THREAD = 1024;
constexpr const char *VERSION = "skynet on LuaJIT 1.0 (skynet 1.8 compatible)";

void usage(FILE *out) {
    std::fprintf(out, "Usage: skynet CONFIG          run a node\n"
                      "       skynet --check CONFIG  check a config and the paths it names\n"
                      "       skynet --version       print the version\n"
                      "       skynet --help          this text\n"
                      "See docs/operations.md for the config keys of logging and shutdown.\n");
}

bool read_config(skynet_config &config) {
    config.thread = skynet_env_optint("thread", 8);
    if (config.thread < 1 || config.thread > MAX_THREAD) {
        std::fprintf(stderr, "Invalid thread %d , should be in [1,%d]\n", config.thread,
                     MAX_THREAD);
        return false;
    }
    config.module_path = skynet_env_optstring("cpath", "./cservice/?.so");
    config.harbor = skynet_env_optint("harbor", 1);
    if (config.harbor < 0 || config.harbor > 255) {
        std::fprintf(stderr, "Invalid harbor %d , should be in [0,255]\n", config.harbor);
        return false;
    }
    config.bootstrap = skynet_env_optstring("bootstrap", "snlua bootstrap");
    config.daemon = skynet_env_optstring("daemon", nullptr);
    if (auto logger = skynet_env_get("logger")) {
        config.logger = *logger;
        config.has_logger = true;
    }
    config.logservice = skynet_env_optstring("logservice", "logger");
    config.profile = skynet_env_optboolean("profile", true);
    config.logdrain = std::atof(skynet_env_optstring("logdrain", "5").c_str());
    return true;
}

} // namespace

int main(int argc, char *argv[]) {
    if (argc <= 1) {
        std::fprintf(stderr, "Need a config file. Usage: skynet configfilename\n");
        return 1;
    }
    std::string_view arg = argv[1];
    if (arg == "--version" || arg == "-v") {
        std::printf("%s\n", VERSION);
        return 0;
    }
    if (arg == "--help" || arg == "-h") {
        usage(stdout);
        return 0;
    }
    if (arg == "--check") {
        if (argc != 3) {
            usage(stderr);
            return 1;
        }
        skynet_env_init();
        return skynet_check_config(argv[2]);
    }
    if (arg.size() > 1 && arg[0] == '-') {
        std::fprintf(stderr, "Unknown option %s\n", argv[1]);
        usage(stderr);
        return 1;
    }
    skynet_globalinit();
    skynet_env_init();
    std::signal(SIGPIPE, SIG_IGN);

    std::string err;
    if (!skynet_config_load(argv[1], err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    skynet_config config;
    if (!read_config(config))
        return 1;
    int ret = skynet_start(config);
    skynet_globalexit();
    return ret;
}
