#include "daemon.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace {

// Pid recorded in the file if that process is still alive, else 0.
int running_pid(const char *pidfile) {
    FILE *f = std::fopen(pidfile, "r");
    if (f == nullptr)
        return 0;
    int pid = 0;
    int n = std::fscanf(f, "%d", &pid);
    std::fclose(f);
    if (n != 1 || pid <= 0 || pid == getpid())
        return 0;
    if (kill(pid, 0) && errno == ESRCH)
        return 0;
    return pid;
}

bool write_pid(const char *pidfile) {
    int fd = open(pidfile, O_RDWR | O_CREAT, 0644);
    if (fd == -1) {
        std::fprintf(stderr, "Can't create pidfile [%s]: %s\n", pidfile, std::strerror(errno));
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
        close(fd);
        std::fprintf(stderr, "Can't lock pidfile [%s]\n", pidfile);
        return false;
    }
    char buf[32];
    int len = std::snprintf(buf, sizeof(buf), "%d\n", getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, buf, len) != len) {
        close(fd);
        std::fprintf(stderr, "Can't write pidfile [%s]\n", pidfile);
        return false;
    }
    // Keep fd open: the lock marks the node as running.
    return true;
}

void redirect_fds() {
    int nfd = open("/dev/null", O_RDWR);
    if (nfd == -1)
        return;
    dup2(nfd, 0);
    dup2(nfd, 1);
    dup2(nfd, 2);
    if (nfd > 2)
        close(nfd);
}

} // namespace

bool daemon_init(const char *pidfile) {
    if (int pid = running_pid(pidfile)) {
        std::fprintf(stderr, "Skynet is already running, pid = %d.\n", pid);
        return false;
    }
    if (daemon(1, 1)) {
        std::fprintf(stderr, "Can't daemonize: %s\n", std::strerror(errno));
        return false;
    }
    if (!write_pid(pidfile))
        return false;
    redirect_fds();
    return true;
}

void daemon_exit(const char *pidfile) {
    unlink(pidfile);
}
