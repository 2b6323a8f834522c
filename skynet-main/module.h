// Service modules: built-in C++ services first, else a .so found on `cpath`.
#ifndef SKYNET_MODULE_H
#define SKYNET_MODULE_H

struct skynet_context;

typedef void *(*skynet_dl_create)(void);
typedef int (*skynet_dl_init)(void *inst, struct skynet_context *, const char *parm);
typedef void (*skynet_dl_release)(void *inst);
typedef void (*skynet_dl_signal)(void *inst, int signal);

struct skynet_module {
    const char *name;
    void *module; // dlopen handle, null for built-ins
    skynet_dl_create create;
    skynet_dl_init init;
    skynet_dl_release release;
    skynet_dl_signal signal;
};

void skynet_module_init(const char *path);
// Null (with a message on stderr) when no module of that name can be found.
const skynet_module *skynet_module_query(const char *name);
void *skynet_module_instance_create(const skynet_module *);
int skynet_module_instance_init(const skynet_module *, void *inst, struct skynet_context *ctx,
                                const char *parm);
void skynet_module_instance_release(const skynet_module *, void *inst);
void skynet_module_instance_signal(const skynet_module *, void *inst, int signal);

#endif
