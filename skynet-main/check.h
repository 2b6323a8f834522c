// `skynet --check CONFIG`: load a config and resolve every path it names,
// without starting the node.
#ifndef SKYNET_CHECK_H
#define SKYNET_CHECK_H

// Prints one line per problem (and "config OK" when there is none) to
// stderr/stdout; returns the process exit code: 0 when the node could start.
int skynet_check_config(const char *path);

#endif
