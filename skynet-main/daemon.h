// `daemon = "pidfile"`: detach from the terminal and keep a pid file.
#ifndef SKYNET_DAEMON_H
#define SKYNET_DAEMON_H

bool daemon_init(const char *pidfile);
void daemon_exit(const char *pidfile);

#endif
