#include "config.h"

#include "env.h"
#include "lua54/lua54.h"

#include <lua.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace {

// Directory of the file being included, innermost last; `include` resolves
// relative names against the top.
struct include_state {
    std::vector<std::string> dirs;
};

std::string dirname_of(const std::string &path) {
    auto pos = path.rfind('/');
    return pos == std::string::npos ? std::string() : path.substr(0, pos + 1);
}

// Replace every $NAME (letters, digits, underscore) by the process env value.
bool substitute(std::string &text, std::string &err) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (text[i] == '$') {
            size_t j = i + 1;
            while (j < text.size() &&
                   (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
                ++j;
            if (j > i + 1) {
                std::string name = text.substr(i + 1, j - i - 1);
                const char *v = std::getenv(name.c_str());
                if (!v) {
                    err = "os.getenv() failed: " + name;
                    return false;
                }
                out += v;
                i = j;
                continue;
            }
        }
        out += text[i++];
    }
    text.swap(out);
    return true;
}

int lua_include(lua_State *L);

// Load and run one file with the result table (upvalue 1 of include) as its
// environment.
int run_file(lua_State *L, include_state *st, const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return luaL_error(L, "cannot open config file %s", path.c_str());
    std::stringstream buf;
    buf << in.rdbuf();
    std::string code = buf.str();
    std::string err;
    if (!substitute(code, err))
        return luaL_error(L, "%s", err.c_str());
    if (!code.empty() && code[0] == LUA_SIGNATURE[0])
        return luaL_error(L, "config %s: binary chunks are not accepted", path.c_str());
    std::string chunkname = "@" + path;
    // A config may be written in Lua 5.4 syntax, as upstream's are read by 5.4.
    if (skynet_lua54_loadbuffer(L, code.data(), code.size(), chunkname.c_str()) != 0)
        return lua_error(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_setfenv(L, -2);
    st->dirs.push_back(dirname_of(path));
    lua_call(L, 0, 0);
    st->dirs.pop_back();
    return 0;
}

int lua_include(lua_State *L) {
    auto *st = static_cast<include_state *>(lua_touserdata(L, lua_upvalueindex(2)));
    std::string name = luaL_checkstring(L, 1);
    std::string path =
        (!name.empty() && name[0] == '/') || st->dirs.empty() ? name : st->dirs.back() + name;
    return run_file(L, st, path);
}

// Evaluate the config in L; leaves the result table on the stack.
int load_all(lua_State *L) {
    const char *path = static_cast<const char *>(lua_touserdata(L, 1));
    auto *st = static_cast<include_state *>(lua_touserdata(L, 2));
    lua_newtable(L); // result
    lua_newtable(L); // fallback holding only `include`
    lua_pushvalue(L, -2);
    lua_pushlightuserdata(L, st);
    lua_pushcclosure(L, lua_include, 2);
    lua_setfield(L, -2, "include");
    lua_newtable(L); // metatable
    lua_insert(L, -2);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);

    lua_pushvalue(L, -1);
    lua_pushlightuserdata(L, st);
    lua_pushcclosure(L, lua_include, 2);
    lua_pushstring(L, path);
    lua_call(L, 1, 0);

    lua_pushnil(L);
    lua_setmetatable(L, -2);
    return 1;
}

bool copy_to_env(lua_State *L, std::string &err) {
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            err = "Invalid config table";
            return false;
        }
        const char *key = lua_tostring(L, -2);
        std::string value;
        if (lua_type(L, -1) == LUA_TBOOLEAN) {
            value = lua_toboolean(L, -1) ? "true" : "false";
        } else if (lua_type(L, -1) == LUA_TNUMBER || lua_type(L, -1) == LUA_TSTRING) {
            size_t sz;
            const char *s = lua_tolstring(L, -1, &sz);
            value.assign(s, sz);
        } else {
            err = std::string("Invalid config table key = ") + key;
            return false;
        }
        skynet_env_set(key, value);
        lua_pop(L, 1);
    }
    return true;
}

struct state_closer {
    void operator()(lua_State *L) const { lua_close(L); }
};

} // namespace

bool skynet_config_load(const char *path, std::string &err) {
    std::unique_ptr<lua_State, state_closer> holder(luaL_newstate());
    lua_State *L = holder.get();
    luaL_openlibs(L);
    include_state st;
    lua_pushcfunction(L, load_all);
    lua_pushlightuserdata(L, const_cast<char *>(path));
    lua_pushlightuserdata(L, &st);
    if (lua_pcall(L, 2, 1, 0) != 0) {
        err = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error loading config";
        return false;
    }
    return copy_to_env(L, err);
}
