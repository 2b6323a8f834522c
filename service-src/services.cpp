#include "services.h"

extern const skynet_module snlua_module;
extern const skynet_module logger_module;
extern const skynet_module harbor_module;

const skynet_module skynet_builtin_services[] = {
    snlua_module,
    logger_module,
    harbor_module,
    {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
};
