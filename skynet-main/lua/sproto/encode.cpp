// Lua table -> sproto message.
#include "codec.h"
#include "wire.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace sproto {

namespace {

constexpr double two63 = 9223372036854775808.0;

// Upstream accepts what lua_tointegerx accepts: integral numbers and strings
// that convert to them. Decimal strings are read exactly, beyond 2^53 too.
bool to_int64(lua_State *L, int index, int64_t *out) {
    int type = lua_type(L, index);
    if (type == LUA_TNUMBER) {
        double d = lua_tonumber(L, index);
        if (!(d >= -two63 && d < two63) || std::floor(d) != d)
            return false;
        *out = static_cast<int64_t>(d);
        return true;
    }
    if (type == LUA_TSTRING) {
        const char *s = lua_tostring(L, index);
        char *end = nullptr;
        errno = 0;
        long long v = std::strtoll(s, &end, 10);
        if (errno == 0 && end != s && *end == '\0') {
            *out = v;
            return true;
        }
    }
    if (!lua_isnumber(L, index))
        return false;
    double d = lua_tonumber(L, index);
    if (!(d >= -two63 && d < two63) || std::floor(d) != d)
        return false;
    *out = static_cast<int64_t>(d);
    return true;
}

// (int64_t)round(x) as x86 computes it: out of range gives INT64_MIN.
int64_t round_to_int64(double x) {
    double r = std::round(x);
    if (!(r >= -two63 && r < two63))
        return INT64_MIN;
    return static_cast<int64_t>(r);
}

uint64_t double_bits(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return bits;
}

bool fits32(int64_t v) {
    return v >= INT32_MIN && v <= INT32_MAX;
}

// Iterates a keyed array: with its __pairs when it has one, else lua_next.
// Keeps the iterator function, state and control key in three stack slots.
class Pairs {
  public:
    Pairs(lua_State *L, int table) : L_(L), table_(table) {
        if (luaL_getmetafield(L, table, "__pairs")) {
            lua_pushvalue(L, table);
            lua_call(L, 1, 3);
            fn_ = lua_gettop(L) - 2;
        } else {
            lua_pushnil(L); // placeholders keep the layout the same
            lua_pushnil(L);
            lua_pushnil(L);
        }
        key_ = lua_gettop(L);
    }

    // Pushes key, value; false at the end.
    bool next() {
        if (fn_ != 0) {
            lua_pushvalue(L_, fn_);
            lua_pushvalue(L_, fn_ + 1);
            lua_pushvalue(L_, key_);
            lua_call(L_, 2, 2);
            if (lua_isnil(L_, -2)) {
                lua_pop(L_, 2);
                return false;
            }
        } else {
            lua_pushvalue(L_, key_);
            if (!lua_next(L_, table_))
                return false;
        }
        lua_pushvalue(L_, -2);
        lua_replace(L_, key_);
        return true;
    }

  private:
    lua_State *L_;
    int table_;
    int fn_ = 0;
    int key_ = 0;
};

class Encoder {
  public:
    Encoder(lua_State *L, std::vector<uint8_t> &out) : L_(L), out_(out) {}

    void message(const Type &t, int index, int depth) {
        if (!t.fields.empty() && depth >= max_depth)
            luaL_error(L_, "The table is too deep");
        luaL_checkstack(L_, 16, nullptr);
        index = index < 0 ? lua_gettop(L_) + index + 1 : index;
        size_t start = out_.size();
        size_t header = 2 + 2 * size_t(t.maxn);
        out_.resize(start + header);
        int count = 0;
        int last = -1;
        int map_entry = 0;
        for (const Field &f : t.fields) {
            lua_pushlstring(L_, f.name.data(), f.name.size());
            lua_gettable(L_, index);
            if (lua_isnil(L_, -1)) {
                lua_pop(L_, 1);
                continue;
            }
            int inline_value = f.array ? array(t, f, depth, map_entry) : value(t, f, 0, depth);
            int gap = f.tag - last - 1;
            if (gap > 0) {
                uint32_t skip = uint32_t(gap - 1) * 2 + 1;
                if (skip > 0xffff)
                    too_large();
                wire::put_u16(&out_[start + 2 + 2 * size_t(count++)], skip);
            }
            uint32_t entry = inline_value >= 0 ? (uint32_t(inline_value) + 1) * 2 : 0;
            wire::put_u16(&out_[start + 2 + 2 * size_t(count++)], entry);
            last = f.tag;
        }
        wire::put_u16(&out_[start], uint32_t(count));
        size_t used = 2 + 2 * size_t(count);
        if (used < header)
            out_.erase(out_.begin() + long(start + used), out_.begin() + long(start + header));
        if (out_.size() > max_message)
            too_large();
        if (map_entry)
            lua_remove(L_, map_entry);
    }

  private:
    [[noreturn]] void too_large() {
        luaL_error(L_, "object is too large (>%d)", static_cast<int>(max_message));
        __builtin_unreachable();
    }

    [[noreturn]] void wrong(const Type &t, const Field &f, int index, const char *what, int type) {
        luaL_error(L_, "%s.%s[%d] is not %s (Is a %s)", t.name.c_str(), f.name.c_str(), index, what,
                   lua_typename(L_, type));
        __builtin_unreachable();
    }

    int64_t integer(const Type &t, const Field &f, int index) {
        if (f.decimal())
            return round_to_int64(lua_tonumber(L_, -1) * f.extra);
        int64_t v;
        if (!to_int64(L_, -1, &v))
            wrong(t, f, index, "an integer", lua_type(L_, -1));
        return v;
    }

    bool boolean(const Type &t, const Field &f, int index) {
        if (!lua_isboolean(L_, -1))
            wrong(t, f, index, "a boolean", lua_type(L_, -1));
        return lua_toboolean(L_, -1);
    }

    // Appends a u32 length and that many bytes from a builder.
    template <class F> void part(F &&fill) {
        size_t at = out_.size();
        out_.resize(at + 4);
        fill();
        wire::put_u32(&out_[at], static_cast<uint32_t>(out_.size() - at - 4));
    }

    void bytes(const void *p, size_t n) {
        auto *b = static_cast<const uint8_t *>(p);
        out_.insert(out_.end(), b, b + n);
    }

    void word(uint64_t v, int width) {
        size_t at = out_.size();
        out_.resize(at + size_t(width));
        for (int i = 0; i < width; ++i)
            out_[at + size_t(i)] = static_cast<uint8_t>(v >> (8 * i));
    }

    void string(const Type &t, const Field &f, int index) {
        if (lua_type(L_, -1) != LUA_TSTRING)
            wrong(t, f, index, "a string", lua_type(L_, -1));
        size_t n = 0;
        const char *s = lua_tolstring(L_, -1, &n);
        part([&] { bytes(s, n); });
    }

    // Encodes the value on top (and pops it). Returns the inline value for
    // small integers and booleans, else -1 with a data part appended.
    int value(const Type &t, const Field &f, int index, int depth) {
        int inline_value = -1;
        switch (f.kind) {
        case Kind::integer: {
            int64_t v = integer(t, f, index);
            if (fits32(v) && static_cast<uint32_t>(v) < 0x7fff)
                inline_value = static_cast<int>(v);
            else if (fits32(v))
                part([&] { word(static_cast<uint32_t>(v), 4); });
            else
                part([&] { word(static_cast<uint64_t>(v), 8); });
            break;
        }
        case Kind::real: {
            uint64_t bits = double_bits(lua_tonumber(L_, -1));
            part([&] { word(bits, 8); });
            break;
        }
        case Kind::boolean:
            inline_value = boolean(t, f, index) ? 1 : 0;
            break;
        case Kind::string:
            string(t, f, index);
            break;
        case Kind::structure:
            part([&] { message(*f.sub, -1, depth + 1); });
            break;
        }
        lua_pop(L_, 1);
        return inline_value;
    }

    // Pushes the next element of the array at `array` (index i, 1-based);
    // false at its end.
    bool element(const Field &f, int array, Pairs *pairs, int map_entry, int i) {
        if (!pairs) {
            lua_pushinteger(L_, i);
            lua_gettable(L_, array);
            if (lua_isnil(L_, -1)) {
                lua_pop(L_, 1);
                return false;
            }
            return true;
        }
        if (!pairs->next())
            return false;
        if (f.map) {
            lua_setfield(L_, map_entry, f.sub->fields[1].name.c_str());
            lua_setfield(L_, map_entry, f.sub->fields[0].name.c_str());
            lua_pushvalue(L_, map_entry);
        } else {
            lua_remove(L_, -2);
        }
        return true;
    }

    // Written 8 bytes wide, then narrowed to 4 when every value fits.
    void numbers(const Type &t, const Field &f, int array, Pairs *pairs) {
        size_t at = out_.size();
        out_.push_back(8);
        bool wide = f.kind == Kind::real;
        size_t n = 0;
        for (int i = 1; element(f, array, pairs, 0, i); ++i, ++n) {
            if (f.kind == Kind::real) {
                word(double_bits(lua_tonumber(L_, -1)), 8);
            } else {
                int64_t v = integer(t, f, i);
                wide = wide || !fits32(v);
                word(static_cast<uint64_t>(v), 8);
            }
            lua_pop(L_, 1);
        }
        if (n == 0) {
            out_.resize(at);
        } else if (!wide) {
            out_[at] = 4;
            for (size_t i = 1; i < n; ++i)
                std::memmove(&out_[at + 1 + 4 * i], &out_[at + 1 + 8 * i], 4);
            out_.resize(at + 1 + 4 * n);
        }
    }

    // Encodes the array value on top (and pops it); always -1 (a data part).
    int array(const Type &t, const Field &f, int depth, int &map_entry) {
        int arr = lua_gettop(L_);
        bool keyed = f.key >= 0;
        if (f.map && !map_entry) {
            lua_createtable(L_, 0, 2);
            lua_insert(L_, arr); // below the array, freed with the message
            map_entry = arr++;
        }
        bool has_pairs = luaL_getmetafield(L_, arr, "__pairs");
        if (has_pairs)
            lua_pop(L_, 1);
        else if (!lua_istable(L_, arr))
            luaL_error(L_, "%s.%s(%d) should be a table or an userdata with metamethods (Is a %s)",
                       t.name.c_str(), f.name.c_str(), 1, luaL_typename(L_, arr));
        std::optional<Pairs> pairs;
        if (keyed)
            pairs.emplace(L_, arr);
        Pairs *iter = pairs ? &*pairs : nullptr;
        part([&] {
            switch (f.kind) {
            case Kind::integer:
            case Kind::real:
                numbers(t, f, arr, iter);
                break;
            case Kind::boolean:
                for (int i = 1; element(f, arr, iter, map_entry, i); ++i) {
                    out_.push_back(boolean(t, f, i) ? 1 : 0);
                    lua_pop(L_, 1);
                }
                break;
            case Kind::string:
                for (int i = 1; element(f, arr, iter, map_entry, i); ++i) {
                    string(t, f, i);
                    lua_pop(L_, 1);
                }
                break;
            case Kind::structure:
                for (int i = 1; element(f, arr, iter, map_entry, i); ++i) {
                    part([&] { message(*f.sub, -1, depth + 1); });
                    lua_pop(L_, 1);
                }
                break;
            }
        });
        lua_settop(L_, arr - 1);
        return -1;
    }

    lua_State *L_;
    std::vector<uint8_t> &out_;
};

} // namespace

void encode(lua_State *L, const Type &t, int index, std::vector<uint8_t> &out) {
    Encoder(L, out).message(t, index, 0);
}

} // namespace sproto
