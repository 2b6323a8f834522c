// lua-seri: the byte format of skynet.pack / skynet.unpack (spec/native.md §4.1).
//
// Every value is a head byte `type | cookie << 3` followed by its payload.
// Multi-byte fields are written in host order, which is little-endian on every
// platform upstream runs on, so the bytes match an upstream node's.
//
// LuaJIT has only doubles: an integral double in [-2^63, 2^63) is written as an
// integer of the smallest upstream width, so an upstream (Lua 5.4+) receiver sees
// the integer it expects; anything else is written as a real.
#include "seri.h"

#include "skynet_malloc.h"

#include <bit>
#include <cstdint>
#include <cstring>

static_assert(std::endian::native == std::endian::little,
              "seri copies numbers in host order; peers read them as little-endian");

namespace {

enum class value_type : uint8_t {
    nil = 0,
    boolean = 1,
    number = 2,
    userdata = 3,
    short_string = 4,
    long_string = 5,
    table = 6,
};

// Cookies of a number head: how many payload bytes follow and how to read them.
enum number_cookie : uint8_t {
    number_zero = 0,
    number_byte = 1,
    number_word = 2,
    number_dword = 4,
    number_qword = 6,
    number_real = 8,
};

constexpr int max_cookie = 32;
// A table head with this cookie carries its array size as a following integer.
constexpr int table_size_follows = max_cookie - 1;
constexpr int max_pack_depth = 32;
// No packer nests deeper than max_pack_depth + 1 tables; the cap only stops
// hostile input from recursing through the C stack.
constexpr int max_unpack_depth = 1024;
// Most messages are small: they never leave this block until the final copy.
constexpr size_t inline_size = 256;

constexpr uint8_t head(value_type type, int cookie) {
    return static_cast<uint8_t>(static_cast<int>(type) | cookie << 3);
}

class write_buffer {
  public:
    // cppcheck-suppress uninitMemberVar ; inline_ is scratch space
    explicit write_buffer(lua_State *L) : L_(L) {}
    write_buffer(const write_buffer &) = delete;
    write_buffer &operator=(const write_buffer &) = delete;
    // Runs on normal return and also when a Lua error unwinds the packer
    // (LuaJIT on x64 unwinds C++ frames), so a failed pack leaks nothing.
    ~write_buffer() {
        if (data_ != inline_)
            skynet_free(data_);
    }

    size_t size() const { return size_; }

    void put(const void *src, size_t n) {
        if (n > cap_ - size_)
            grow(n);
        std::memcpy(data_ + size_, src, n);
        size_ += n;
    }

    void put_byte(uint8_t b) {
        if (size_ == cap_)
            grow(1);
        data_[size_++] = static_cast<char>(b);
    }

    // The bytes as one skynet_malloc'd block; the caller owns it.
    void *release() {
        if (data_ != inline_) {
            void *out = data_;
            data_ = inline_;
            size_ = 0;
            cap_ = inline_size;
            return out;
        }
        // malloc(0) may return NULL, which unpack would take for "no message".
        void *out = skynet_malloc(size_ > 0 ? size_ : 1);
        if (out == nullptr)
            out_of_memory();
        std::memcpy(out, data_, size_);
        return out;
    }

  private:
    void grow(size_t need) {
        size_t want = size_ + need;
        if (want < size_)
            out_of_memory();
        size_t cap = cap_ * 2;
        if (cap < want)
            cap = want;
        char *bigger;
        if (data_ == inline_) {
            bigger = static_cast<char *>(skynet_malloc(cap));
            if (bigger != nullptr)
                std::memcpy(bigger, data_, size_);
        } else {
            bigger = static_cast<char *>(skynet_realloc(data_, cap));
        }
        if (bigger == nullptr)
            out_of_memory();
        data_ = bigger;
        cap_ = cap;
    }

    [[noreturn]] void out_of_memory() {
        luaL_error(L_, "serialize: not enough memory");
        __builtin_unreachable();
    }

    lua_State *L_;
    char *data_ = inline_;
    size_t size_ = 0;
    size_t cap_ = inline_size;
    char inline_[inline_size]; // left uninitialised: written before it is read
};

class packer {
  public:
    explicit packer(lua_State *L) : L_(L), out_(L) {}

    write_buffer &output() { return out_; }

    void value(int index, int depth) {
        if (depth > max_pack_depth)
            luaL_error(L_, "serialize can't pack too depth table");
        int type = lua_type(L_, index);
        switch (type) {
        case LUA_TNIL:
            out_.put_byte(head(value_type::nil, 0));
            break;
        case LUA_TBOOLEAN:
            out_.put_byte(head(value_type::boolean, lua_toboolean(L_, index) ? 1 : 0));
            break;
        case LUA_TNUMBER:
            number(lua_tonumber(L_, index));
            break;
        case LUA_TSTRING: {
            size_t len;
            const char *s = lua_tolstring(L_, index, &len);
            string(s, len);
            break;
        }
        case LUA_TLIGHTUSERDATA: {
            void *p = lua_touserdata(L_, index);
            uint8_t bytes[1 + sizeof p] = {head(value_type::userdata, 0)};
            std::memcpy(bytes + 1, &p, sizeof p);
            out_.put(bytes, sizeof bytes);
            break;
        }
        case LUA_TTABLE:
            table(index < 0 ? lua_gettop(L_) + index + 1 : index, depth + 1);
            break;
        case LUA_TUSERDATA:
            // a read-only view (a sharedata proxy) is sent as the table it shows
            if (!luaL_getmetafield(L_, index, "__pairs"))
                luaL_error(L_, "Unsupport type %s to serialize", lua_typename(L_, type));
            lua_pop(L_, 1);
            table(index < 0 ? lua_gettop(L_) + index + 1 : index, depth + 1);
            break;
        default:
            luaL_error(L_, "Unsupport type %s to serialize", lua_typename(L_, type));
        }
    }

  private:
    void number(double d) {
        // -0.0 lands here too and becomes integer 0, as a double-only sender must.
        // cppcheck-suppress incorrectLogicOperator ; it misreads the hex float literals
        if (d >= -0x1p63 && d < 0x1p63) {
            auto v = static_cast<int64_t>(d);
            if (static_cast<double>(v) == d) {
                integer(v);
                return;
            }
        }
        uint8_t bytes[1 + sizeof d] = {head(value_type::number, number_real)};
        std::memcpy(bytes + 1, &d, sizeof d);
        out_.put(bytes, sizeof bytes);
    }

    // The width rules are upstream's: negatives always take a dword or qword.
    void integer(int64_t v) {
        uint8_t bytes[1 + sizeof v];
        size_t width;
        int cookie;
        if (v == 0) {
            cookie = number_zero;
            width = 0;
        } else if (v != static_cast<int32_t>(v)) {
            cookie = number_qword;
            width = 8;
            std::memcpy(bytes + 1, &v, width);
        } else if (v < 0 || v >= 0x10000) {
            cookie = number_dword;
            width = 4;
            auto v32 = static_cast<int32_t>(v);
            std::memcpy(bytes + 1, &v32, width);
        } else if (v < 0x100) {
            cookie = number_byte;
            width = 1;
            bytes[1] = static_cast<uint8_t>(v);
        } else {
            cookie = number_word;
            width = 2;
            auto v16 = static_cast<uint16_t>(v);
            std::memcpy(bytes + 1, &v16, width);
        }
        bytes[0] = head(value_type::number, cookie);
        out_.put(bytes, 1 + width);
    }

    void string(const char *s, size_t len) {
        if (len > UINT32_MAX)
            luaL_error(L_, "serialize can't pack a string of %f bytes", static_cast<double>(len));
        if (len < max_cookie) {
            out_.put_byte(head(value_type::short_string, static_cast<int>(len)));
        } else if (len < 0x10000) {
            uint8_t bytes[3] = {head(value_type::long_string, 2)};
            auto len16 = static_cast<uint16_t>(len);
            std::memcpy(bytes + 1, &len16, 2);
            out_.put(bytes, sizeof bytes);
        } else {
            uint8_t bytes[5] = {head(value_type::long_string, 4)};
            auto len32 = static_cast<uint32_t>(len);
            std::memcpy(bytes + 1, &len32, 4);
            out_.put(bytes, sizeof bytes);
        }
        out_.put(s, len);
    }

    void table(int index, int depth) {
        luaL_checkstack(L_, LUA_MINSTACK, "serialize table");
        if (luaL_getmetafield(L_, index, "__pairs")) {
            table_by_pairs(index, depth);
            return;
        }
        size_t array_size = table_array(index, depth);
        table_hash(index, depth, array_size);
    }

    size_t table_array(int index, int depth) {
        size_t n = lua_objlen(L_, index);
        if (n >= static_cast<size_t>(table_size_follows)) {
            out_.put_byte(head(value_type::table, table_size_follows));
            integer(static_cast<int64_t>(n));
        } else {
            out_.put_byte(head(value_type::table, static_cast<int>(n)));
        }
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L_, index, static_cast<int>(i));
            value(-1, depth);
            lua_pop(L_, 1);
        }
        return n;
    }

    // Every pair lua_next yields except the integer keys the array part wrote.
    void table_hash(int index, int depth, size_t array_size) {
        lua_pushnil(L_);
        while (lua_next(L_, index) != 0) {
            if (lua_type(L_, -2) == LUA_TNUMBER) {
                double k = lua_tonumber(L_, -2);
                if (k >= 1 && k <= static_cast<double>(array_size) &&
                    static_cast<double>(static_cast<size_t>(k)) == k) {
                    lua_pop(L_, 1);
                    continue;
                }
            }
            value(-2, depth);
            value(-1, depth);
            lua_pop(L_, 1);
        }
        out_.put_byte(head(value_type::nil, 0));
    }

    // A table with __pairs is a view: only what its iterator yields is sent,
    // all of it as pairs (array size 0). The metamethod is on the stack top.
    void table_by_pairs(int index, int depth) {
        out_.put_byte(head(value_type::table, 0));
        lua_pushvalue(L_, index);
        lua_call(L_, 1, 3); // iterator, state, control
        for (;;) {
            lua_pushvalue(L_, -3);
            lua_pushvalue(L_, -3);
            lua_pushvalue(L_, -3);
            lua_call(L_, 2, 2); // key, value
            if (lua_isnil(L_, -2)) {
                lua_pop(L_, 5);
                break;
            }
            value(-2, depth);
            value(-1, depth);
            lua_pop(L_, 1);
            lua_replace(L_, -2); // the key is the next control value
        }
        out_.put_byte(head(value_type::nil, 0));
    }

    lua_State *L_;
    write_buffer out_;
};

class unpacker {
  public:
    unpacker(lua_State *L, const uint8_t *data, size_t len) : L_(L), p_(data), left_(len) {}

    bool done() const { return left_ == 0; }

    void value(int depth) {
        uint8_t h = byte();
        push(h & 7, h >> 3, depth);
    }

  private:
    // Upstream's message shape; the line is ours, so only its presence means anything.
    // __builtin_LINE rather than std::source_location: clang 14 (the fuzz build) lacks the latter.
    [[noreturn]] void invalid(int line = __builtin_LINE()) {
        luaL_error(L_, "Invalid serialize stream %d (line:%d)", static_cast<int>(left_), line);
        __builtin_unreachable();
    }

    const uint8_t *take(size_t n, int line = __builtin_LINE()) {
        if (n > left_)
            invalid(line);
        const uint8_t *at = p_;
        p_ += n;
        left_ -= n;
        return at;
    }

    uint8_t byte() { return *take(1); }

    template <typename T> T read() {
        T v;
        std::memcpy(&v, take(sizeof v), sizeof v);
        return v;
    }

    void push(int type, int cookie, int depth) {
        switch (static_cast<value_type>(type)) {
        case value_type::nil:
            lua_pushnil(L_);
            break;
        case value_type::boolean:
            lua_pushboolean(L_, cookie != 0);
            break;
        case value_type::number:
            if (cookie == number_real)
                lua_pushnumber(L_, read<double>());
            else
                lua_pushnumber(L_, static_cast<double>(integer(cookie)));
            break;
        case value_type::userdata:
            lua_pushlightuserdata(L_, read<void *>());
            break;
        case value_type::short_string:
            string(static_cast<size_t>(cookie));
            break;
        case value_type::long_string:
            if (cookie == 2)
                string(read<uint16_t>());
            else if (cookie == 4)
                string(read<uint32_t>());
            else
                invalid();
            break;
        case value_type::table:
            table(cookie, depth + 1);
            break;
        default:
            invalid();
        }
    }

    int64_t integer(int cookie) {
        switch (cookie) {
        case number_zero:
            return 0;
        case number_byte:
            return read<uint8_t>();
        case number_word:
            return read<uint16_t>();
        case number_dword:
            return read<int32_t>();
        case number_qword:
            return read<int64_t>();
        default:
            invalid();
        }
    }

    void string(size_t len) {
        const uint8_t *s = take(len);
        lua_pushlstring(L_, reinterpret_cast<const char *>(s), len);
    }

    void table(int cookie, int depth) {
        if (depth > max_unpack_depth)
            invalid();
        int64_t array_size = cookie;
        if (cookie == table_size_follows) {
            uint8_t h = byte();
            if ((h & 7) != static_cast<int>(value_type::number) || (h >> 3) == number_real)
                invalid();
            array_size = integer(h >> 3);
        }
        // Every element takes at least one byte, so a larger count is a lie;
        // refusing it here also keeps a forged count from sizing the table.
        if (array_size < 0 || static_cast<uint64_t>(array_size) > left_ || array_size > INT32_MAX)
            invalid();
        luaL_checkstack(L_, LUA_MINSTACK, "unpack table");
        lua_createtable(L_, static_cast<int>(array_size), 0);
        for (int i = 1; i <= array_size; i++) {
            value(depth);
            lua_rawseti(L_, -2, i);
        }
        for (;;) {
            uint8_t h = byte();
            if ((h & 7) == static_cast<int>(value_type::nil))
                return;
            push(h & 7, h >> 3, depth);
            value(depth);
            lua_rawset(L_, -3);
        }
    }

    lua_State *L_;
    const uint8_t *p_;
    size_t left_;
};

} // namespace

int luaseri_pack(lua_State *L) {
    int n = lua_gettop(L);
    packer p(L);
    for (int i = 1; i <= n; i++)
        p.value(i, 0);
    size_t size = p.output().size();
    void *msg = p.output().release();
    lua_pushlightuserdata(L, msg);
    lua_pushinteger(L, static_cast<lua_Integer>(size));
    return 2;
}

int luaseri_unpack(lua_State *L) {
    if (lua_isnoneornil(L, 1))
        return 0;
    const void *data;
    size_t len;
    if (lua_type(L, 1) == LUA_TSTRING) {
        data = lua_tolstring(L, 1, &len);
    } else {
        data = lua_touserdata(L, 1);
        lua_Integer sz = luaL_checkinteger(L, 2);
        if (sz < 0)
            return luaL_argerror(L, 2, "negative size");
        len = static_cast<size_t>(sz);
    }
    if (len == 0)
        return 0;
    if (data == nullptr)
        return luaL_error(L, "deserialize null pointer");

    lua_settop(L, 1); // a string argument stays referenced while we read it
    unpacker u(L, static_cast<const uint8_t *>(data), len);
    for (int i = 0; !u.done(); i++) {
        if (i % 8 == 0)
            luaL_checkstack(L, LUA_MINSTACK, "unpack values");
        u.value(0);
    }
    return lua_gettop(L) - 1;
}
