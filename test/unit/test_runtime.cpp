// Unit tests of the runtime core: config, env, handles, queues, timer.
#include <catch2/catch.hpp>

#include "config.h"
#include "context.h"
#include "env.h"
#include "handle.h"
#include "harbor.h"
#include "module.h"
#include "mq.h"
#include "timer.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

std::string temp_dir() {
    static std::string dir = [] {
        char tmpl[] = "/tmp/skynet-unit-XXXXXX";
        return std::string(mkdtemp(tmpl));
    }();
    return dir;
}

std::string write_file(const std::string &name, const std::string &text) {
    std::string path = temp_dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// The runtime pieces are process-wide; bring them up once for every test.
void runtime_once() {
    static bool done = [] {
        skynet_globalinit();
        skynet_env_init();
        skynet_harbor_init(0);
        skynet_handle_init(0);
        skynet_module_init("./cservice/?.so");
        skynet_timer_init();
        return true;
    }();
    (void)done;
}

// Contexts made by other tests leave their queues scheduled; start clean.
// Queues of retired contexts are freed here, as a worker would.
void drain_global() {
    std::vector<message_queue *> popped;
    while (message_queue *q = skynet_globalmq_pop())
        popped.push_back(q);
    for (message_queue *q : popped)
        skynet_mq_release(
            q, [](skynet_message *m, void *) { skynet_free(m->data); }, nullptr);
    while (skynet_globalmq_pop()) { // the live ones went back: leave the global queue empty
    }
}

std::string env(const char *key) {
    return skynet_env_get(key).value_or("<none>");
}

} // namespace

TEST_CASE("config keys become strings in the env", "[config]") {
    runtime_once();
    setenv("SKYNET_UNIT_PORT", "7101", 1);
    write_file("inc.lua", "cfg_included = 'yes'\ncfg_seen_before = cfg_thread\n");
    std::string path = write_file("main.cfg", "cfg_thread = 8\n"
                                              "cfg_bool = true\n"
                                              "cfg_name = 'db' .. '1'\n"
                                              "cfg_port = \"$SKYNET_UNIT_PORT\"\n"
                                              "include 'inc.lua'\n"
                                              "cfg_path = cfg_name .. '/x'\n");
    std::string err;
    REQUIRE(skynet_config_load(path.c_str(), err));
    CHECK(env("cfg_thread") == "8");
    CHECK(env("cfg_bool") == "true");
    CHECK(env("cfg_name") == "db1");
    CHECK(env("cfg_port") == "7101");
    CHECK(env("cfg_included") == "yes");
    CHECK(env("cfg_seen_before") == "8"); // earlier keys are visible to later code
    CHECK(env("cfg_path") == "db1/x");
    CHECK(env("include") == "<none>"); // the helper is not a key
}

TEST_CASE("config errors are reported, not fatal", "[config]") {
    runtime_once();
    std::string err;
    CHECK_FALSE(skynet_config_load((temp_dir() + "/missing.cfg").c_str(), err));
    CHECK(err.find("cannot open") != std::string::npos);

    std::string bad = write_file("bad.cfg", "thread = = 3\n");
    CHECK_FALSE(skynet_config_load(bad.c_str(), err));
    CHECK(err.find("bad.cfg") != std::string::npos);

    unsetenv("SKYNET_UNIT_UNSET");
    std::string noenv = write_file("noenv.cfg", "x = '$SKYNET_UNIT_UNSET'\n");
    CHECK_FALSE(skynet_config_load(noenv.c_str(), err));
    CHECK(err == "os.getenv() failed: SKYNET_UNIT_UNSET");

    std::string nostd = write_file("nostd.cfg", "x = os.time()\n");
    CHECK_FALSE(skynet_config_load(nostd.c_str(), err)); // standard globals are not visible

    std::string badvalue = write_file("badvalue.cfg", "cfg_table = {}\n");
    CHECK_FALSE(skynet_config_load(badvalue.c_str(), err));
    CHECK(err == "Invalid config table key = cfg_table");
}

TEST_CASE("env refuses to overwrite and writes defaults back", "[env]") {
    runtime_once();
    CHECK(skynet_env_set("unit_key", "a"));
    CHECK_FALSE(skynet_env_set("unit_key", "b"));
    CHECK(env("unit_key") == "a");
    CHECK(skynet_getenv("unit_missing") == nullptr);
    CHECK(skynet_env_optint("unit_int", 42) == 42);
    CHECK(env("unit_int") == "42");
    CHECK(skynet_env_optboolean("unit_bool", true));
    CHECK(env("unit_bool") == "true");
    CHECK(skynet_env_optstring("unit_str", "x") == "x");
    CHECK(skynet_env_optstring("unit_nodef", nullptr).empty());
    CHECK(skynet_getenv("unit_nodef") == nullptr);
}

TEST_CASE("handles count up, names are unique, retired handles vanish", "[handle]") {
    runtime_once();
    skynet_context *a = skynet_context_new("logger", nullptr);
    skynet_context *b = skynet_context_new("logger", nullptr);
    REQUIRE(a);
    REQUIRE(b);
    uint32_t ha = skynet_context_handle(a), hb = skynet_context_handle(b);
    CHECK(hb == ha + 1);
    CHECK(skynet_handle_namehandle(ha, "unit_a") != nullptr);
    CHECK(skynet_handle_namehandle(hb, "unit_a") == nullptr);  // never replaced
    CHECK(skynet_handle_namehandle(ha, "unit_a2") != nullptr); // several names a handle
    CHECK(skynet_handle_findname("unit_a") == ha);
    CHECK(skynet_handle_findname("unit_a2") == ha);
    CHECK(skynet_handle_findname("unit_none") == 0);

    skynet_context *g = skynet_handle_grab(hb);
    CHECK(g == b);
    skynet_context_release(g);

    CHECK(skynet_handle_retire(ha));
    CHECK(skynet_handle_grab(ha) == nullptr);
    CHECK(skynet_handle_findname("unit_a") == 0); // names go with the handle
    CHECK_FALSE(skynet_handle_retire(ha));

    skynet_context *c = skynet_context_new("logger", nullptr);
    CHECK(skynet_context_handle(c) == hb + 1); // no early reuse of ha
    skynet_handle_retire(hb);
    skynet_handle_retire(skynet_context_handle(c));
}

TEST_CASE("handle table grows past its first size", "[handle]") {
    runtime_once();
    std::vector<uint32_t> handles;
    for (int i = 0; i < 40; i++) {
        skynet_context *c = skynet_context_new("logger", nullptr);
        REQUIRE(c);
        handles.push_back(skynet_context_handle(c));
    }
    for (uint32_t h : handles) {
        skynet_context *c = skynet_handle_grab(h);
        REQUIRE(c);
        CHECK(skynet_context_handle(c) == h);
        skynet_context_release(c);
    }
    for (uint32_t h : handles)
        CHECK(skynet_handle_retire(h));
}

TEST_CASE("message queue keeps order, grows, reports overload once", "[mq]") {
    runtime_once();
    drain_global();
    message_queue *q = skynet_mq_create(0x1234);
    for (int i = 0; i < 3000; i++) {
        skynet_message m{static_cast<uint32_t>(i), i, nullptr, 0};
        skynet_mq_push(q, &m);
    }
    CHECK(skynet_mq_length(q) == 3000);
    skynet_message m;
    REQUIRE(skynet_mq_pop(q, &m) == 0);
    CHECK(m.session == 0);
    CHECK(skynet_mq_overload(q) == 2999); // above 1024 and 2048: reported once
    CHECK(skynet_mq_overload(q) == 0);
    for (int i = 1; i < 3000; i++) {
        REQUIRE(skynet_mq_pop(q, &m) == 0);
        REQUIRE(m.session == i);
    }
    CHECK(skynet_mq_pop(q, &m) == 1);
    CHECK(skynet_mq_length(q) == 0);
    skynet_mq_mark_release(q);
    // mark_release put it on the global queue (it was out after the empty pop)
    CHECK(skynet_globalmq_pop() == q);
    int dropped = 0;
    skynet_mq_release(
        q, [](skynet_message *, void *ud) { ++*static_cast<int *>(ud); }, &dropped);
    CHECK(dropped == 0);
}

TEST_CASE("a service queue enters the global queue once per wake-up", "[mq]") {
    runtime_once();
    drain_global();
    message_queue *q = skynet_mq_create(0x4321);
    skynet_globalmq_push(q); // new queues start "in global"
    CHECK(skynet_globalmq_pop() == q);
    skynet_message m{1, 1, nullptr, 0};
    skynet_mq_push(q, &m); // still marked in-global: not pushed twice
    CHECK(skynet_globalmq_pop() == nullptr);
    skynet_message out;
    CHECK(skynet_mq_pop(q, &out) == 0);
    CHECK(skynet_mq_pop(q, &out) == 1); // empty: leaves the global queue
    skynet_mq_push(q, &m);
    CHECK(skynet_globalmq_pop() == q); // rescheduled by the push
    skynet_mq_mark_release(q);
    int dropped = 0;
    skynet_mq_release(
        q, [](skynet_message *, void *ud) { ++*static_cast<int *>(ud); }, &dropped);
    CHECK(dropped == 1);
}

TEST_CASE("timeouts fire in order of expiry as PTYPE_RESPONSE", "[timer]") {
    runtime_once();
    skynet_context *c = skynet_context_new("logger", nullptr);
    REQUIRE(c);
    uint32_t h = skynet_context_handle(c);
    drain_global(); // we pop c's queue ourselves, acting as the worker
    skynet_timeout(h, 5, 105);
    skynet_timeout(h, 1, 101);
    skynet_timeout(h, 300, 400); // crosses the near wheel
    skynet_timeout(h, 0, 100);   // immediate
    std::vector<int> fired;
    uint64_t start = skynet_now();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (fired.size() < 4 && std::chrono::steady_clock::now() < deadline) {
        skynet_updatetime();
        drain_global();
        skynet_message m;
        while (skynet_mq_pop(c->queue, &m) == 0) {
            CHECK((m.sz >> MESSAGE_TYPE_SHIFT) == PTYPE_RESPONSE);
            CHECK(m.source == 0);
            fired.push_back(m.session);
            if (m.session == 400)
                CHECK(skynet_now() - start >= 300);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CHECK(fired == std::vector<int>{100, 101, 105, 400});
    skynet_handle_retire(h);
}

TEST_CASE("skynet_command verbs", "[command]") {
    runtime_once();
    skynet_context *c = skynet_context_new("logger", nullptr);
    REQUIRE(c);
    uint32_t h = skynet_context_handle(c);
    char self[32];
    std::snprintf(self, sizeof(self), ":%x", h);
    CHECK(std::string(skynet_command(c, "REG", nullptr)) == self);
    CHECK(std::string(skynet_command(c, "REG", ".unit_cmd")) == "unit_cmd");
    CHECK(skynet_command(c, "REG", ".unit_cmd") == nullptr);
    CHECK(std::string(skynet_command(c, "QUERY", ".unit_cmd")) == self);
    CHECK(skynet_command(c, "QUERY", ".unit_nothing") == nullptr);
    CHECK(std::string(skynet_command(c, "STAT", "mqlen")) == "0");
    CHECK(std::string(skynet_command(c, "STAT", "endless")) == "0");
    CHECK(std::string(skynet_command(c, "STAT", "bogus")).empty());
    CHECK(std::string(skynet_command(c, "TIMEOUT", "0")) == "1");
    CHECK(std::string(skynet_command(c, "STAT", "mqlen")) == "1");
    skynet_command(c, "SETENV", "unit_cmd_key value with spaces");
    CHECK(std::string(skynet_command(c, "GETENV", "unit_cmd_key")) == "value with spaces");
    const char *launched = skynet_command(c, "LAUNCH", "logger");
    REQUIRE(launched != nullptr);
    CHECK(std::strlen(launched) == 9); // ":%08X"
    uint32_t lh = static_cast<uint32_t>(std::strtoul(launched + 1, nullptr, 16));
    CHECK(skynet_command(c, "LAUNCH", "no_such_module_here") == nullptr);
    skynet_command(c, "KILL", launched);
    CHECK(skynet_handle_grab(lh) == nullptr);
    CHECK(skynet_command(c, "NOSUCHVERB", nullptr) == nullptr);
    skynet_handle_retire(h);
}
