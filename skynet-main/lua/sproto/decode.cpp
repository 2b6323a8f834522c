// sproto message -> Lua table.
#include "codec.h"
#include "wire.h"

#include <cstring>

namespace sproto {

namespace {

using Bytes = std::span<const uint8_t>;

int64_t sign_extend32(uint32_t v) {
    return static_cast<int32_t>(v);
}

int64_t load64(const uint8_t *p) {
    return static_cast<int64_t>(uint64_t(wire::u32(p)) | uint64_t(wire::u32(p + 4)) << 32);
}

class Decoder {
  public:
    explicit Decoder(lua_State *L) : L_(L) {}

    // Fills the table at `result`; the bytes read, or -1.
    long message(const Type &t, Bytes bytes, int result, int depth) {
        wire::StructReader r(bytes);
        if (!r.ok())
            return -1;
        int map_entry = 0; // one entry table for all the maps of this message
        wire::Entry e;
        while (r.next(e)) {
            const Field *f = t.find(e.tag);
            if (!f)
                continue;
            if (depth >= max_depth)
                luaL_error(L_, "The table is too deep");
            luaL_checkstack(L_, 16, nullptr);
            if (f->map && !map_entry) {
                lua_newtable(L_); // stays below the results, removed with the message
                map_entry = lua_gettop(L_);
            }
            lua_pushlstring(L_, f->name.data(), f->name.size());
            bool ok = e.value >= 0 ? inline_value(*f, e.value)
                      : f->array   ? array(*f, e.data, depth, map_entry)
                                   : part(*f, e.data, depth);
            if (!ok)
                return -1;
            lua_settable(L_, result);
        }
        if (map_entry)
            lua_remove(L_, map_entry);
        return r.ok() ? static_cast<long>(r.consumed()) : -1;
    }

  private:
    void push_integer(const Field &f, int64_t v) {
        if (f.decimal())
            lua_pushnumber(L_, static_cast<double>(v) / f.extra);
        else
            lua_pushnumber(L_, static_cast<double>(v));
    }

    void push_number(const Field &f, int64_t v) {
        if (f.kind == Kind::real) {
            double d;
            std::memcpy(&d, &v, sizeof d);
            lua_pushnumber(L_, d);
        } else {
            push_integer(f, v);
        }
    }

    bool inline_value(const Field &f, int v) {
        if (f.array)
            return false;
        if (f.kind == Kind::integer)
            push_integer(f, v);
        else if (f.kind == Kind::boolean)
            lua_pushboolean(L_, v != 0);
        else
            return false;
        return true;
    }

    // A struct value in its own table, which must take all of `bytes`.
    bool sub_message(const Type &t, Bytes bytes, int depth, int into) {
        long n = message(t, bytes, into, depth + 1);
        return n >= 0 && static_cast<size_t>(n) == bytes.size();
    }

    bool part(const Field &f, Bytes b, int depth) {
        switch (f.kind) {
        case Kind::integer:
        case Kind::real:
            if (b.size() == 4)
                push_number(f, sign_extend32(wire::u32(b.data())));
            else if (b.size() == 8)
                push_number(f, load64(b.data()));
            else
                return false;
            return true;
        case Kind::string:
            lua_pushlstring(L_, reinterpret_cast<const char *>(b.data()), b.size());
            return true;
        case Kind::structure:
            lua_createtable(L_, 0, static_cast<int>(f.sub->fields.size()));
            return sub_message(*f.sub, b, depth, lua_gettop(L_));
        case Kind::boolean:
            break;
        }
        return false;
    }

    bool numbers(const Field &f, Bytes b, int arr) {
        if (b.size() <= 1)
            return true; // empty, with or without its width byte
        size_t width = b[0];
        b = b.subspan(1);
        if ((width != 4 && width != 8) || b.size() % width != 0)
            return false;
        for (size_t i = 0; i < b.size() / width; ++i) {
            const uint8_t *p = b.data() + i * width;
            push_number(f, width == 4 ? sign_extend32(wire::u32(p)) : load64(p));
            lua_rawseti(L_, arr, static_cast<int>(i + 1));
        }
        return true;
    }

    // One element of a keyed array or map, stored under its key.
    bool keyed_element(const Field &f, Bytes b, int depth, int arr, int map_entry) {
        if (f.map) {
            if (!sub_message(*f.sub, b, depth, map_entry))
                return false;
            lua_getfield(L_, map_entry, f.sub->fields[0].name.c_str());
            if (lua_isnil(L_, -1))
                luaL_error(L_, "Can't find key field in [%s]", f.name.c_str());
            lua_getfield(L_, map_entry, f.sub->fields[1].name.c_str());
            if (lua_isnil(L_, -1))
                luaL_error(L_, "Can't find value field in [%s]", f.name.c_str());
            lua_settable(L_, arr);
            return true;
        }
        lua_createtable(L_, 0, static_cast<int>(f.sub->fields.size()));
        int elem = lua_gettop(L_);
        if (!sub_message(*f.sub, b, depth, elem))
            return false;
        const Field *key = f.sub->find(f.key);
        if (key && !key->array)
            lua_getfield(L_, elem, key->name.c_str());
        else
            lua_pushnil(L_);
        if (lua_isnil(L_, -1))
            luaL_error(L_, "Can't find main index (tag=%d) in [%s]", f.key, f.name.c_str());
        lua_insert(L_, -2);
        lua_settable(L_, arr);
        return true;
    }

    // Elements of a numeric or boolean array, to size its table.
    static int array_size_hint(const Field &f, Bytes b) {
        if (f.kind == Kind::boolean)
            return static_cast<int>(b.size());
        if ((f.kind == Kind::integer || f.kind == Kind::real) && b.size() > 1 &&
            (b[0] == 4 || b[0] == 8))
            return static_cast<int>((b.size() - 1) / b[0]);
        return 0;
    }

    // Leaves the array table on top.
    bool array(const Field &f, Bytes b, int depth, int map_entry) {
        lua_createtable(L_, array_size_hint(f, b), 0);
        int arr = lua_gettop(L_);
        bool ok = true;
        switch (f.kind) {
        case Kind::integer:
        case Kind::real:
            ok = numbers(f, b, arr);
            break;
        case Kind::boolean:
            for (size_t i = 0; i < b.size(); ++i) {
                lua_pushboolean(L_, b[i] != 0);
                lua_rawseti(L_, arr, static_cast<int>(i + 1));
            }
            break;
        case Kind::string:
        case Kind::structure: {
            int i = 0;
            ok = wire::for_each_part(b, [&](Bytes part_bytes) {
                if (f.kind == Kind::structure && f.key >= 0)
                    return keyed_element(f, part_bytes, depth, arr, map_entry);
                if (!part(f, part_bytes, depth))
                    return false;
                lua_rawseti(L_, arr, ++i);
                return true;
            });
            break;
        }
        }
        return ok;
    }

    lua_State *L_;
};

} // namespace

long decode(lua_State *L, const Type &t, std::span<const uint8_t> bytes, int result) {
    return Decoder(L).message(t, bytes, result, 0);
}

void push_default(lua_State *L, const Type &t) {
    lua_newtable(L);
    for (const Field &f : t.fields) {
        lua_pushstring(L, f.name.c_str());
        if (f.array)
            lua_createtable(L, 0, 1);
        switch (f.kind) {
        case Kind::integer:
        case Kind::real:
            lua_pushnumber(L, 0);
            break;
        case Kind::boolean:
            lua_pushboolean(L, 0);
            break;
        case Kind::string:
            lua_pushliteral(L, "");
            break;
        case Kind::structure:
            if (f.array) {
                lua_pushstring(L, f.sub->name.c_str());
            } else {
                lua_createtable(L, 0, 1);
                lua_pushstring(L, f.sub->name.c_str());
                lua_setfield(L, -2, "__type");
            }
            break;
        }
        if (f.array)
            lua_setfield(L, -2, "__array");
        lua_rawset(L, -3);
    }
}

} // namespace sproto
