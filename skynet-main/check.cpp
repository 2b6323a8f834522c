#include "check.h"

#include "config.h"
#include "env.h"

#include <climits>
#include <cstdio>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

struct report {
    int errors = 0;
    int warnings = 0;
    void error(const std::string &what) {
        std::fprintf(stderr, "config error: %s\n", what.c_str());
        ++errors;
    }
    void warning(const std::string &what) {
        std::fprintf(stderr, "config warning: %s\n", what.c_str());
        ++warnings;
    }
};

std::string env_or(const char *key, const std::string &def) {
    return skynet_env_get(key).value_or(def);
}

std::vector<std::string> split_patterns(std::string_view s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(';', start);
        std::string_view one =
            s.substr(start, end == std::string_view::npos ? s.npos : end - start);
        if (!one.empty())
            out.emplace_back(one);
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return out;
}

bool is_file(const std::string &path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const std::string &path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string dir_of(const std::string &path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Directory of the executable, with a trailing '/': snlua's fallback root for
// its default paths.
std::string exe_root() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
        return "./";
    std::string path(buf, static_cast<size_t>(n));
    return path.substr(0, path.rfind('/') + 1);
}

// snlua's defaults: "./x" patterns are also tried under the executable's root.
std::string with_exe_root(const std::string &patterns) {
    std::string out = patterns;
    for (const std::string &p : split_patterns(patterns))
        if (p.rfind("./", 0) == 0)
            out += ";" + exe_root() + p.substr(2);
    return out;
}

// Where `name` resolves on a `?` search path, or "" when nowhere.
std::string search(const std::string &patterns, const std::string &name) {
    for (std::string p : split_patterns(patterns)) {
        for (size_t q; (q = p.find('?')) != std::string::npos;)
            p.replace(q, 1, name);
        if (is_file(p))
            return p;
    }
    return "";
}

// Every directory a search path names should exist: a typo there is the
// usual reason a service "cannot be found".
void check_pattern_dirs(report &r, const char *key, const std::string &patterns) {
    for (const std::string &p : split_patterns(patterns)) {
        std::string dir = dir_of(p.substr(0, p.find('?')));
        if (!is_dir(dir))
            r.warning(std::string(key) + ": no directory " + dir + " (pattern " + p + ")");
    }
}

void check_file(report &r, const char *key, bool required) {
    auto v = skynet_env_get(key);
    if (!v) {
        if (required)
            r.error(std::string(key) + " is not set");
        return;
    }
    if (!is_file(*v))
        r.error(std::string(key) + " = " + *v + ": no such file");
}

void check_writable_dir(report &r, const char *key, const std::string &dir) {
    if (!is_dir(dir))
        r.error(std::string(key) + ": no directory " + dir);
    else if (access(dir.c_str(), W_OK) != 0)
        r.error(std::string(key) + ": directory " + dir + " is not writable");
}

void check_numbers(report &r) {
    auto thread = skynet_env_get("thread");
    if (thread && (std::atoi(thread->c_str()) < 1 || std::atoi(thread->c_str()) > 1024))
        r.error("thread = " + *thread + ", should be in [1,1024]");
    auto harbor = skynet_env_get("harbor");
    if (harbor && (std::atoi(harbor->c_str()) < 0 || std::atoi(harbor->c_str()) > 255))
        r.error("harbor = " + *harbor + ", should be in [0,255]");
}

void check_lua_services(report &r) {
    std::string services = env_or("luaservice", with_exe_root("./service/?.lua"));
    check_pattern_dirs(r, "luaservice", services);
    check_pattern_dirs(r, "lua_path",
                       env_or("lua_path", with_exe_root("./lualib/?.lua;./lualib/?/init.lua")));
    std::string loader = env_or("lualoader", "./lualib/loader.lua");
    if (!is_file(loader) && loader == "./lualib/loader.lua")
        loader = exe_root() + "lualib/loader.lua";
    if (!is_file(loader))
        r.error("lualoader = " + loader + ": no such file");
    std::string bootstrap = env_or("bootstrap", "snlua bootstrap");
    std::string module = bootstrap.substr(0, bootstrap.find(' '));
    if (module == "snlua") {
        std::string name = bootstrap.size() > 6 ? bootstrap.substr(6) : "";
        name = name.substr(0, name.find(' '));
        if (search(services, name).empty())
            r.error("bootstrap service " + name + " not found on luaservice = " + services);
        std::string start = env_or("start", "main");
        if (name == "bootstrap" && search(services, start).empty())
            r.error("start service " + start + " not found on luaservice = " + services);
    }
}

void check_logging(report &r) {
    if (auto logger = skynet_env_get("logger");
        logger && env_or("logservice", "logger") == "logger")
        check_writable_dir(r, "logger", dir_of(*logger));
    if (auto logpath = skynet_env_get("logpath"))
        check_writable_dir(r, "logpath", *logpath);
    if (auto daemon = skynet_env_get("daemon"))
        check_writable_dir(r, "daemon", dir_of(*daemon));
}

} // namespace

int skynet_check_config(const char *path) {
    std::string err;
    if (!skynet_config_load(path, err)) {
        std::fprintf(stderr, "config error: %s\n", err.c_str());
        return 1;
    }
    report r;
    check_numbers(r);
    check_lua_services(r);
    check_logging(r);
    check_file(r, "preload", false);
    check_file(r, "cluster", false);
    if (r.errors) {
        std::fprintf(stderr, "%s: %d error(s)\n", path, r.errors);
        return 1;
    }
    std::printf("%s: config OK%s\n", path, r.warnings ? " (with warnings)" : "");
    return 0;
}
