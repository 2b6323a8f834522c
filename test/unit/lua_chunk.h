// Runs a Lua chunk in a test state: "" when it ran, else the error it raised.
#pragma once

#include <string>

struct lua_State;

std::string run_chunk(lua_State *L, const char *code);
