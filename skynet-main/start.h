// Node start-up: the worker, timer, socket and monitor threads.
#ifndef SKYNET_START_H
#define SKYNET_START_H

#include <string>

struct skynet_config {
    int thread = 8;
    int harbor = 1;
    bool profile = true;
    std::string daemon;
    std::string module_path;
    std::string bootstrap;
    std::string logger; // empty: stdout
    bool has_logger = false;
    std::string logservice;
    double logdrain = 5; // seconds the logger may take to write its backlog at stop
};

// Runs the node until its last service exits; returns the process exit code.
int skynet_start(const skynet_config &config);

#endif
