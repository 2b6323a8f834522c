// The services compiled into the binary.
#ifndef SKYNET_BUILTIN_SERVICES_H
#define SKYNET_BUILTIN_SERVICES_H

#include "module.h"

// Null-terminated table (name == nullptr ends it).
extern const skynet_module skynet_builtin_services[];

#endif
