#include "lua_chunk.h"

#include <lua.hpp>

#include <cstring>

std::string run_chunk(lua_State *L, const char *code) {
    lua_settop(L, 0);
    if (luaL_loadbuffer(L, code, std::strlen(code), "=test") != 0 || lua_pcall(L, 0, 0, 0) != 0) {
        const char *err = lua_tostring(L, -1);
        std::string msg = err ? err : "(non-string error)";
        lua_settop(L, 0);
        return msg;
    }
    return {};
}
