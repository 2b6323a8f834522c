#include "build.h"

#include <cmath>
#include <unordered_map>

namespace sharedata {

namespace {

bool integral(double n) {
    return std::floor(n) == n && std::isfinite(n);
}

class TableConverter {
  public:
    explicit TableConverter(lua_State *L) : L_(L) {}

    std::unique_ptr<Tree> run(int index) {
        const Node *root = table(index, 0);
        return builder_.finish(root);
    }

  private:
    static constexpr int max_depth = 128;

    // The length of the run of non-nil values at 1, 2, ...
    size_t array_length(int index) {
        size_t n = 0;
        for (;;) {
            lua_rawgeti(L_, index, static_cast<int>(n + 1));
            bool present = !lua_isnil(L_, -1);
            lua_pop(L_, 1);
            if (!present)
                return n;
            ++n;
        }
    }

    void check_key(int key) {
        int t = lua_type(L_, key);
        if (t == LUA_TNUMBER) {
            if (!integral(lua_tonumber(L_, key)))
                luaL_error(L_, "Invalid key %f", lua_tonumber(L_, key));
        } else if (t != LUA_TSTRING) {
            luaL_error(L_, "Invalid key type %s", lua_typename(L_, t));
        }
    }

    bool in_array(int key, size_t array_size) {
        if (lua_type(L_, key) != LUA_TNUMBER)
            return false;
        double k = lua_tonumber(L_, key);
        return k >= 1 && k <= static_cast<double>(array_size);
    }

    const Node *table(int index, int depth) {
        if (depth > max_depth)
            luaL_error(L_, "sharedata: table too deep (more than %d levels)", max_depth);
        const void *id = lua_topointer(L_, index);
        auto seen = done_.find(id);
        if (seen != done_.end()) {
            if (seen->second == nullptr)
                luaL_error(L_, "sharedata: recursive table");
            return seen->second;
        }
        done_[id] = nullptr;
        luaL_checkstack(L_, 8, "sharedata: table too deep");

        size_t array_size = array_length(index);
        size_t hash_count = 0;
        lua_pushnil(L_);
        while (lua_next(L_, index) != 0) {
            int key = lua_gettop(L_) - 1;
            check_key(key);
            if (!in_array(key, array_size))
                ++hash_count;
            lua_pop(L_, 1);
        }

        Node *node = builder_.table(array_size, hash_count);
        for (size_t i = 0; i < array_size; ++i) {
            lua_rawgeti(L_, index, static_cast<int>(i + 1));
            builder_.set_array(node, i, value(lua_gettop(L_), depth));
            lua_pop(L_, 1);
        }
        lua_pushnil(L_);
        while (lua_next(L_, index) != 0) {
            int key = lua_gettop(L_) - 1;
            if (!in_array(key, array_size))
                builder_.set(node, key_value(key), value(key + 1, depth));
            lua_pop(L_, 1);
        }
        done_[id] = node;
        return node;
    }

    Value key_value(int key) {
        if (lua_type(L_, key) == LUA_TNUMBER)
            return Value::of(static_cast<double>(lua_tonumber(L_, key)));
        size_t len;
        const char *s = lua_tolstring(L_, key, &len);
        return builder_.string({s, len});
    }

    Value value(int index, int depth) {
        int t = lua_type(L_, index);
        switch (t) {
        case LUA_TBOOLEAN:
            return Value::of(lua_toboolean(L_, index) != 0);
        case LUA_TNUMBER:
            return Value::of(static_cast<double>(lua_tonumber(L_, index)));
        case LUA_TSTRING: {
            size_t len;
            const char *s = lua_tolstring(L_, index, &len);
            return builder_.string({s, len});
        }
        case LUA_TTABLE:
            return Builder::of(table(index, depth + 1));
        default:
            luaL_error(L_, "Unsupport value type %s", lua_typename(L_, t));
            return {};
        }
    }

    lua_State *L_;
    Builder builder_;
    std::unordered_map<const void *, const Node *> done_; // nullptr: being converted
};

} // namespace

std::unique_ptr<Tree> build(lua_State *L, int index) {
    luaL_checktype(L, index, LUA_TTABLE);
    return TableConverter(L).run(index < 0 ? lua_gettop(L) + index + 1 : index);
}

void push_copy(lua_State *L, const Value &v) {
    switch (v.type) {
    case Type::nil:
        lua_pushnil(L);
        break;
    case Type::boolean:
        lua_pushboolean(L, v.boolean);
        break;
    case Type::number:
        lua_pushnumber(L, v.number);
        break;
    case Type::string:
        lua_pushlstring(L, v.string, v.length);
        break;
    case Type::table: {
        const Node &n = *v.table;
        luaL_checkstack(L, 4, "sharedata: table too deep");
        lua_createtable(L, static_cast<int>(n.array.size()), static_cast<int>(n.count));
        for (auto e = n.next(std::nullopt); e; e = n.next(e)) {
            Value key = n.key_at(*e);
            push_copy(L, key);
            push_copy(L, n.value_at(*e));
            lua_rawset(L, -3);
        }
        break;
    }
    }
}

} // namespace sharedata
