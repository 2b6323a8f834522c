// skynet.cluster.core: the cluster wire codec, byte-compatible with upstream.
//
// Every packet is a u16 big-endian length followed by a body whose integers are
// u32 little-endian. Requests of 32 KiB or more, and responses of more than
// 32 KiB, travel as a header packet plus 32 KiB parts (layouts: native.md §4.2).
//
// Besides upstream's functions (Lua strings in and out), the module has
// variants that keep payloads out of Lua, for our own cluster services: a
// large payload as a Lua string costs a copy, a hash, an intern lookup (a full
// compare when an equal string is alive) and garbage collector work.
//   packrequest_msg / packpush_msg / packresponse_msg: the bytes of all the
//     packets, back to back in one skynet_malloc'd buffer for socket.write.
//   batch / packpush_batch / batchmsg: small pushes packed into one buffer.
//   unpackrequest_borrow: a part's payload points into the caller's message.
//   assembly / assemble / assembled: append / concat without Lua strings.
//   unpackresponse_msg / responsemsg: unpackresponse for a body read into
//     native memory (socket.readmsg), and its payload as msg, sz.
#include "modules.h"
#include "skynet_malloc.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>

namespace {

constexpr size_t multi_part = 0x8000;
// Largest packet built in one piece: length, type, name length, 255-byte name,
// session and a payload just under multi_part.
constexpr size_t packet_max = 0x8200;

// The first body byte of a request.
enum class req : uint8_t {
    number = 0x00,
    multi_number = 0x01,
    part = 0x02,
    part_end = 0x03,
    trace = 0x04,
    multi_push_number = 0x41,
    name = 0x80,
    multi_name = 0x81,
    multi_push_name = 0xc1,
};

// The fifth body byte of a response.
enum class resp : uint8_t {
    error = 0,
    ok = 1,
    multi_begin = 2,
    multi_part = 3,
    multi_end = 4,
};

void put_length(uint8_t *p, size_t body) {
    p[0] = static_cast<uint8_t>(body >> 8);
    p[1] = static_cast<uint8_t>(body);
}

void put_u32(uint8_t *p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16);
    p[3] = static_cast<uint8_t>(v >> 24);
}

uint32_t get_u32(const uint8_t *p) {
    return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}

void push_bytes(lua_State *L, const uint8_t *p, size_t sz) {
    lua_pushlstring(L, reinterpret_cast<const char *>(p), sz);
}

// LuaJIT has only doubles where upstream reads lua_Integer: an integral double
// in int64 range converts, anything else has no integer representation.
std::optional<int64_t> to_integer(lua_State *L, int idx) {
    if (!lua_isnumber(L, idx))
        return std::nullopt;
    lua_Number n = lua_tonumber(L, idx);
    // cppcheck-suppress incorrectLogicOperator ; it misreads the hex float literals
    if (!(n >= -0x1p63 && n < 0x1p63))
        return std::nullopt;
    auto i = static_cast<int64_t>(n);
    if (static_cast<lua_Number>(i) != n)
        return std::nullopt;
    return i;
}

// Raises the error luaL_checkinteger would give for an argument to_integer refused.
int integer_error(lua_State *L, int idx) {
    if (lua_isnumber(L, idx))
        return luaL_argerror(L, idx, "number has no integer representation");
    return luaL_typerror(L, idx, "number");
}

int64_t check_integer(lua_State *L, int idx) {
    auto v = to_integer(L, idx);
    if (!v)
        integer_error(L, idx);
    return *v;
}

// A byte count that upstream keeps in an int; a negative one would make it over-read.
int check_size(lua_State *L, int idx) {
    int64_t v = check_integer(L, idx);
    if (v < 0 || v > INT_MAX)
        luaL_argerror(L, idx, "size out of range");
    return static_cast<int>(v);
}

// Upstream truncates a C int: 2^31 becomes negative, 2^32+1 becomes 1.
int32_t wrap_int32(int64_t v) {
    return static_cast<int32_t>(static_cast<uint32_t>(v));
}

// A fresh skynet_malloc'd copy: the caller's message dies after dispatch.
void push_buffer(lua_State *L, const uint8_t *p, size_t sz) {
    // Never NULL, even when empty, so append() accepts it.
    void *copy = skynet_malloc(std::max<size_t>(sz, 1));
    if (sz > 0)
        std::memcpy(copy, p, sz);
    lua_pushlightuserdata(L, copy);
    lua_pushinteger(L, static_cast<lua_Integer>(sz));
}

struct request {
    uint8_t *msg;
    uint32_t sz;
    int32_t session;
    bool is_push;
};

// Where a request goes: a handle, or a name of 1..255 bytes.
struct target {
    uint32_t addr;
    const char *name; // nullptr: addr
    size_t namelen;
};

bool single_packet(const request &r) {
    return r.sz < multi_part;
}

uint32_t part_count(const request &r) {
    return single_packet(r) ? 0 : (r.sz - 1) / multi_part + 1;
}

// The first packet: the whole request, or the header announcing the parts.
size_t header_size(const target &t, const request &r) {
    size_t base = t.name ? 2 + 6 + t.namelen : 2 + 9;
    return single_packet(r) ? base + r.sz : base + 4;
}

void write_header(uint8_t *p, const target &t, const request &r) {
    bool single = single_packet(r);
    uint32_t session = single && r.is_push ? 0 : static_cast<uint32_t>(r.session);
    put_length(p, header_size(t, r) - 2);
    uint8_t *at;
    if (t.name) {
        req type = single ? req::name : r.is_push ? req::multi_push_name : req::multi_name;
        p[2] = static_cast<uint8_t>(type);
        p[3] = static_cast<uint8_t>(t.namelen);
        std::memcpy(p + 4, t.name, t.namelen);
        at = p + 4 + t.namelen;
    } else {
        req type = single ? req::number : r.is_push ? req::multi_push_number : req::multi_number;
        p[2] = static_cast<uint8_t>(type);
        put_u32(p + 3, t.addr);
        at = p + 7;
    }
    put_u32(at, session);
    if (!single)
        put_u32(at + 4, r.sz);
    else if (r.sz > 0)
        std::memcpy(at + 4, r.msg, r.sz);
}

constexpr size_t part_header = 7;

void fill_part_header(uint8_t *p, const request &r, size_t chunk, bool last) {
    put_length(p, chunk + 5);
    p[2] = static_cast<uint8_t>(last ? req::part_end : req::part);
    put_u32(p + 3, static_cast<uint32_t>(r.session));
}

// Fills the table on top of the stack with the parts of r.msg.
void pack_parts(lua_State *L, const request &r, uint32_t parts) {
    uint8_t first[part_header + multi_part];
    size_t left = r.sz;
    for (uint32_t i = 0; i < parts; i++) {
        size_t chunk = std::min(left, multi_part);
        uint8_t *data = r.msg + size_t{i} * multi_part;
        uint8_t *packet;
        if (i == 0) {
            packet = first;
            std::memcpy(first + part_header, data, chunk);
        } else {
            // We own msg and the previous chunk is already copied into a Lua
            // string, so its tail can hold this part's header: no chunk copy.
            packet = data - part_header;
        }
        fill_part_header(packet, r, chunk, left <= multi_part);
        push_bytes(L, packet, part_header + chunk);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
        left -= chunk;
    }
}

// Every part, back to back, at p.
void write_parts(uint8_t *p, const request &r) {
    size_t left = r.sz;
    const uint8_t *data = r.msg;
    while (left > 0) {
        size_t chunk = std::min(left, multi_part);
        fill_part_header(p, r, chunk, left <= multi_part);
        std::memcpy(p + part_header, data, chunk);
        p += part_header + chunk;
        data += chunk;
        left -= chunk;
    }
}

// The packets in one skynet_malloc'd buffer: msg, sz, multi-part.
void push_request_msg(lua_State *L, const target &t, const request &r) {
    uint32_t parts = part_count(r);
    size_t head = header_size(t, r);
    size_t total = head + (parts ? r.sz + size_t{parts} * part_header : 0);
    auto *buf = static_cast<uint8_t *>(skynet_malloc(total));
    write_header(buf, t, r);
    if (parts)
        write_parts(buf + head, r);
    lua_pushlightuserdata(L, buf);
    lua_pushinteger(L, static_cast<lua_Integer>(total));
}

// --- batch: small pushes collected in native memory, for one socket write ---

constexpr const char *batch_meta = "skynet.cluster.batch";

class batch {
  public:
    // n more bytes at the end, to be filled by the caller
    uint8_t *extend(size_t n) {
        if (n > cap_ - size_) {
            size_t cap = std::max({size_ + n, cap_ * 2, hint_, size_t{4096}});
            data_ = static_cast<uint8_t *>(skynet_realloc(data_, cap));
            cap_ = cap;
        }
        uint8_t *p = data_ + size_;
        size_ += n;
        return p;
    }

    // The bytes so far (ownership passes to the caller), or nullptr when empty.
    uint8_t *take(size_t *sz) {
        if (size_ == 0)
            return nullptr;
        uint8_t *p = data_;
        *sz = size_;
        hint_ = size_; // the next batch is likely as big
        data_ = nullptr;
        size_ = cap_ = 0;
        return p;
    }

    void release() {
        skynet_free(data_);
        data_ = nullptr;
        size_ = cap_ = 0;
    }

  private:
    uint8_t *data_ = nullptr;
    size_t size_ = 0;
    size_t cap_ = 0;
    size_t hint_ = 0;
};

batch *check_batch(lua_State *L, int idx) {
    return static_cast<batch *>(luaL_checkudata(L, idx, batch_meta));
}

int lbatch_gc(lua_State *L) {
    check_batch(L, 1)->release();
    return 0;
}

// batch() -> a new, empty one.
int lbatch(lua_State *L) {
    new (lua_newuserdata(L, sizeof(batch))) batch();
    if (luaL_newmetatable(L, batch_meta)) {
        lua_pushcfunction(L, lbatch_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return 1;
}

// batchmsg(b) -> msg, sz of everything added since the last call, or nothing.
int lbatchmsg(lua_State *L) {
    size_t sz = 0;
    uint8_t *msg = check_batch(L, 1)->take(&sz);
    if (msg == nullptr)
        return 0;
    lua_pushlightuserdata(L, msg);
    lua_pushinteger(L, static_cast<lua_Integer>(sz));
    return 2;
}

enum class pack_mode { strings, msg, batch };

// The message is ours from the start: it is freed on every path, errors included.
// strings: packet, next session[, parts]; msg: buffer, size, next session, multi;
// batch: a single packet goes to b (no results), else as msg.
int pack_request(lua_State *L, bool is_push, pack_mode mode, batch *b = nullptr) {
    if (lua_type(L, 3) != LUA_TLIGHTUSERDATA || lua_touserdata(L, 3) == nullptr)
        return luaL_error(L, "Invalid request message");
    request r{static_cast<uint8_t *>(lua_touserdata(L, 3)), 0, 0, is_push};
    auto sz = to_integer(L, 4);
    if (!sz || *sz < 0 || *sz > UINT32_MAX) {
        skynet_free(r.msg);
        if (!sz)
            return integer_error(L, 4);
        return luaL_argerror(L, 4, "size out of range");
    }
    r.sz = static_cast<uint32_t>(*sz);
    auto session = to_integer(L, 2);
    if (!session) {
        skynet_free(r.msg);
        return integer_error(L, 2);
    }
    r.session = wrap_int32(*session);
    if (r.session <= 0) {
        skynet_free(r.msg);
        return luaL_error(L, "Invalid request session %d", r.session);
    }

    target t{0, nullptr, 0};
    if (lua_type(L, 1) == LUA_TNUMBER) {
        t.addr = static_cast<uint32_t>(to_integer(L, 1).value_or(0));
    } else {
        t.name = lua_tolstring(L, 1, &t.namelen);
        if (t.name == nullptr) {
            skynet_free(r.msg);
            return luaL_error(L, "name is not a string, it's a %s", luaL_typename(L, 1));
        }
        if (t.namelen < 1 || t.namelen > 255) {
            skynet_free(r.msg);
            return luaL_error(L, "name length is invalid, must be between 1 and 255 characters: %s",
                              t.name);
        }
    }
    uint32_t next = static_cast<uint32_t>(r.session) + 1;
    uint32_t parts = part_count(r);
    if (mode == pack_mode::batch && parts == 0) {
        write_header(b->extend(header_size(t, r)), t, r);
        skynet_free(r.msg);
        return 0;
    }
    if (mode != pack_mode::strings) {
        push_request_msg(L, t, r);
        skynet_free(r.msg);
        lua_pushinteger(L, next > INT32_MAX ? 1 : next);
        lua_pushboolean(L, parts > 0);
        return 4;
    }
    {
        uint8_t buf[packet_max];
        write_header(buf, t, r);
        push_bytes(L, buf, header_size(t, r));
    }
    lua_pushinteger(L, next > INT32_MAX ? 1 : next);
    if (parts == 0) {
        skynet_free(r.msg);
        return 2;
    }
    lua_createtable(L, static_cast<int>(parts), 0);
    pack_parts(L, r, parts);
    skynet_free(r.msg);
    return 3;
}

int lpackrequest(lua_State *L) {
    return pack_request(L, false, pack_mode::strings);
}
int lpackpush(lua_State *L) {
    return pack_request(L, true, pack_mode::strings);
}
int lpackrequest_msg(lua_State *L) {
    return pack_request(L, false, pack_mode::msg);
}
int lpackpush_msg(lua_State *L) {
    return pack_request(L, true, pack_mode::msg);
}

// packpush_batch(b, addr, session, msg, sz): as packpush_msg, except that a
// push that fits one packet is added to batch b and gives no results.
int lpackpush_batch(lua_State *L) {
    auto *b = static_cast<batch *>(luaL_testudata(L, 1, batch_meta));
    if (b == nullptr) {
        if (lua_type(L, 4) == LUA_TLIGHTUSERDATA)
            skynet_free(lua_touserdata(L, 4));
        return luaL_typerror(L, 1, batch_meta);
    }
    // the batch goes last (still referenced), the rest as packpush expects
    lua_settop(L, 5);
    lua_pushvalue(L, 1);
    lua_remove(L, 1);
    return pack_request(L, true, pack_mode::batch, b);
}

int lpacktrace(lua_State *L) {
    size_t sz;
    const char *tag = luaL_checklstring(L, 1, &sz);
    if (sz > multi_part)
        return luaL_error(L, "trace tag is too long : %d", static_cast<int>(sz));
    uint8_t buf[packet_max];
    put_length(buf, sz + 1);
    buf[2] = static_cast<uint8_t>(req::trace);
    std::memcpy(buf + 3, tag, sz);
    push_bytes(L, buf, sz + 3);
    return 1;
}

int unpack_number(lua_State *L, const uint8_t *buf, int sz) {
    if (sz < 9)
        return luaL_error(L, "Invalid cluster message (size=%d)", sz);
    uint32_t session = get_u32(buf + 5);
    lua_pushinteger(L, get_u32(buf + 1));
    lua_pushinteger(L, session);
    push_buffer(L, buf + 9, sz - 9);
    if (session == 0) { // a push: no padding, no response
        lua_pushnil(L);
        lua_pushboolean(L, 1);
        return 6;
    }
    return 4;
}

int unpack_multi_number(lua_State *L, const uint8_t *buf, int sz, bool is_push) {
    if (sz != 13)
        return luaL_error(L, "Invalid cluster message size %d (multi req must be 13)", sz);
    lua_pushinteger(L, get_u32(buf + 1));
    lua_pushinteger(L, get_u32(buf + 5));
    lua_pushnil(L);
    lua_pushinteger(L, get_u32(buf + 9));
    lua_pushboolean(L, 1); // parts follow
    lua_pushboolean(L, is_push);
    return 6;
}

int unpack_part(lua_State *L, const uint8_t *buf, int sz, bool borrow) {
    if (sz < 5)
        return luaL_error(L, "Invalid cluster multi part message");
    lua_pushboolean(L, 0); // parts carry no address
    lua_pushinteger(L, get_u32(buf + 1));
    if (borrow) {
        lua_pushlightuserdata(L, const_cast<uint8_t *>(buf + 5));
        lua_pushinteger(L, sz - 5);
    } else {
        push_buffer(L, buf + 5, sz - 5);
    }
    lua_pushboolean(L, buf[0] == static_cast<uint8_t>(req::part));
    return 5;
}

int unpack_trace(lua_State *L, const uint8_t *buf, int sz) {
    push_bytes(L, buf + 1, sz - 1);
    return 1;
}

int unpack_name(lua_State *L, const uint8_t *buf, int sz) {
    size_t namelen = sz < 2 ? 0 : buf[1];
    if (sz < 2 || static_cast<size_t>(sz) < namelen + 6)
        return luaL_error(L, "Invalid cluster message (size=%d)", sz);
    push_bytes(L, buf + 2, namelen);
    uint32_t session = get_u32(buf + 2 + namelen);
    lua_pushinteger(L, session);
    push_buffer(L, buf + 6 + namelen, sz - 6 - namelen);
    if (session == 0) {
        lua_pushnil(L);
        lua_pushboolean(L, 1);
        return 6;
    }
    return 4;
}

int unpack_multi_name(lua_State *L, const uint8_t *buf, int sz, bool is_push) {
    size_t namelen = sz < 2 ? 0 : buf[1];
    if (sz < 2 || static_cast<size_t>(sz) < namelen + 10)
        return luaL_error(L, "Invalid cluster message (size=%d)", sz);
    push_bytes(L, buf + 2, namelen);
    lua_pushinteger(L, get_u32(buf + 2 + namelen));
    lua_pushnil(L);
    lua_pushinteger(L, get_u32(buf + 6 + namelen));
    lua_pushboolean(L, 1);
    lua_pushboolean(L, is_push);
    return 6;
}

// (msg, sz) from the gate, or a string; the body has no length prefix.
int unpack_request(lua_State *L, bool borrow) {
    const uint8_t *buf;
    int sz;
    if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) {
        buf = static_cast<const uint8_t *>(lua_touserdata(L, 1));
        sz = check_size(L, 2);
        if (buf == nullptr && sz > 0)
            return luaL_argerror(L, 1, "NULL message");
    } else {
        size_t len;
        buf = reinterpret_cast<const uint8_t *>(luaL_checklstring(L, 1, &len));
        if (len > INT_MAX)
            return luaL_argerror(L, 1, "size out of range");
        sz = static_cast<int>(len);
    }
    if (sz == 0)
        return luaL_error(L, "Invalid req package. size == 0");
    switch (static_cast<req>(buf[0])) {
    case req::number:
        return unpack_number(L, buf, sz);
    case req::multi_number:
        return unpack_multi_number(L, buf, sz, false);
    case req::multi_push_number:
        return unpack_multi_number(L, buf, sz, true);
    case req::part:
    case req::part_end:
        return unpack_part(L, buf, sz, borrow);
    case req::trace:
        return unpack_trace(L, buf, sz);
    case req::name:
        return unpack_name(L, buf, sz);
    case req::multi_name:
        return unpack_multi_name(L, buf, sz, false);
    case req::multi_push_name:
        return unpack_multi_name(L, buf, sz, true);
    }
    // Upstream prints the type as a (signed) char.
    return luaL_error(L, "Invalid req package type %d",
                      static_cast<int>(static_cast<int8_t>(buf[0])));
}

int lunpackrequest(lua_State *L) {
    return unpack_request(L, false);
}

// For a part, msg points into the argument instead of being a fresh copy: it
// is valid only as long as the argument, and is not to be freed.
int lunpackrequest_borrow(lua_State *L) {
    return unpack_request(L, true);
}

constexpr size_t response_header = 7;
constexpr size_t multi_begin_size = 11;

// One response packet at p; returns its size.
size_t write_response(uint8_t *p, uint32_t session, resp type, const uint8_t *data, size_t sz) {
    put_length(p, sz + 5);
    put_u32(p + 2, session);
    p[6] = static_cast<uint8_t>(type);
    if (sz > 0)
        std::memcpy(p + response_header, data, sz);
    return response_header + sz;
}

size_t write_multi_begin(uint8_t *p, uint32_t session, size_t sz) {
    put_length(p, multi_begin_size - 2);
    put_u32(p + 2, session);
    p[6] = static_cast<uint8_t>(resp::multi_begin);
    put_u32(p + 7, static_cast<uint32_t>(sz));
    return multi_begin_size;
}

struct response {
    uint32_t session;
    bool ok;
    const uint8_t *msg;
    size_t sz;

    bool multi() const { return ok && sz > multi_part; }
    size_t parts() const { return (sz - 1) / multi_part + 1; }
};

// The message belongs to the caller (a rawcall result or a string): never freed here.
response check_response(lua_State *L) {
    response r{};
    r.session = static_cast<uint32_t>(check_integer(L, 1));
    r.ok = lua_toboolean(L, 2);
    if (lua_type(L, 3) == LUA_TSTRING) {
        r.msg = reinterpret_cast<const uint8_t *>(lua_tolstring(L, 3, &r.sz));
    } else {
        r.msg = static_cast<const uint8_t *>(lua_touserdata(L, 3));
        int64_t n = check_integer(L, 4);
        if (n < 0)
            luaL_argerror(L, 4, "size out of range");
        r.sz = static_cast<size_t>(n);
        if (r.msg == nullptr && r.sz > 0)
            luaL_argerror(L, 3, "NULL message");
        if (lua_type(L, 3) == LUA_TUSERDATA && r.sz > lua_objlen(L, 3))
            luaL_argerror(L, 4, "size out of range");
    }
    // An error text is cut rather than split.
    if (!r.ok)
        r.sz = std::min(r.sz, multi_part);
    return r;
}

// The table {begin, part..., end} for an ok response larger than multi_part.
void pack_multi_response(lua_State *L, const response &r) {
    size_t parts = r.parts();
    lua_createtable(L, static_cast<int>(parts + 1), 0);
    uint8_t buf[packet_max];
    push_bytes(L, buf, write_multi_begin(buf, r.session, r.sz));
    lua_rawseti(L, -2, 1);
    const uint8_t *msg = r.msg;
    size_t left = r.sz;
    for (size_t i = 0; i < parts; i++) {
        size_t chunk = std::min(left, multi_part);
        resp type = left > multi_part ? resp::multi_part : resp::multi_end;
        push_bytes(L, buf, write_response(buf, r.session, type, msg, chunk));
        lua_rawseti(L, -2, static_cast<int>(i + 2));
        msg += chunk;
        left -= chunk;
    }
}

int lpackresponse(lua_State *L) {
    response r = check_response(L);
    if (r.multi()) {
        pack_multi_response(L, r);
        return 1;
    }
    uint8_t buf[packet_max];
    push_bytes(L, buf, write_response(buf, r.session, r.ok ? resp::ok : resp::error, r.msg, r.sz));
    return 1;
}

// As packresponse, the packets back to back in one skynet_malloc'd buffer:
// msg, sz, multi-part.
int lpackresponse_msg(lua_State *L) {
    response r = check_response(L);
    size_t total =
        r.multi() ? multi_begin_size + r.sz + r.parts() * response_header : response_header + r.sz;
    auto *buf = static_cast<uint8_t *>(skynet_malloc(total));
    if (r.multi()) {
        uint8_t *p = buf + write_multi_begin(buf, r.session, r.sz);
        const uint8_t *msg = r.msg;
        size_t left = r.sz;
        while (left > 0) {
            size_t chunk = std::min(left, multi_part);
            resp type = left > multi_part ? resp::multi_part : resp::multi_end;
            p += write_response(p, r.session, type, msg, chunk);
            msg += chunk;
            left -= chunk;
        }
    } else {
        write_response(buf, r.session, r.ok ? resp::ok : resp::error, r.msg, r.sz);
    }
    lua_pushlightuserdata(L, buf);
    lua_pushinteger(L, static_cast<lua_Integer>(total));
    lua_pushboolean(L, r.multi());
    return 3;
}

// A body without its length prefix; bad input gives no values, never an error.
// The data of an ok, part or end packet is pushed by push_data (the payload
// follows 5 header bytes).
template <typename PushData>
int unpack_response(lua_State *L, const uint8_t *buf, size_t sz, PushData push_data) {
    if (sz < 5)
        return 0;
    switch (static_cast<resp>(buf[4])) {
    case resp::error:
        lua_pushinteger(L, get_u32(buf));
        lua_pushboolean(L, 0);
        lua_pushlstring(L, reinterpret_cast<const char *>(buf + 5), sz - 5);
        return 3;
    case resp::ok:
    case resp::multi_end:
        lua_pushinteger(L, get_u32(buf));
        lua_pushboolean(L, 1);
        push_data();
        return 3;
    case resp::multi_begin:
        if (sz != 9)
            return 0;
        lua_pushinteger(L, get_u32(buf));
        lua_pushboolean(L, 1);
        lua_pushinteger(L, get_u32(buf + 5));
        lua_pushboolean(L, 1);
        return 4;
    case resp::multi_part:
        lua_pushinteger(L, get_u32(buf));
        lua_pushboolean(L, 1);
        push_data();
        lua_pushboolean(L, 1);
        return 4;
    }
    return 0;
}

int lunpackresponse(lua_State *L) {
    size_t sz;
    const auto *buf = reinterpret_cast<const uint8_t *>(luaL_checklstring(L, 1, &sz));
    return unpack_response(
        L, buf, sz, [&] { lua_pushlstring(L, reinterpret_cast<const char *>(buf + 5), sz - 5); });
}

// --- payload: a response body kept in native memory ---

constexpr const char *payload_meta = "skynet.cluster.payload";
constexpr size_t response_skip = 5; // session and type before the data

// Owns msg until responsemsg takes it; the collector frees what is left
// (a response nobody waits for any more).
struct payload {
    uint8_t *msg; // the body: response_skip header bytes, then the data
    size_t sz;

    void release() {
        skynet_free(msg);
        msg = nullptr;
        sz = 0;
    }
};

payload *to_payload(lua_State *L, int idx) {
    return static_cast<payload *>(luaL_testudata(L, idx, payload_meta));
}

int lpayload_gc(lua_State *L) {
    if (payload *p = to_payload(L, 1))
        p->release();
    return 0;
}

// unpackresponse_msg(msg, sz): as unpackresponse for a body in native memory,
// which it takes over. The data of an ok, part or end packet is a payload
// object for responsemsg.
int lunpackresponse_msg(lua_State *L) {
    if (lua_type(L, 1) != LUA_TLIGHTUSERDATA || lua_touserdata(L, 1) == nullptr)
        return luaL_error(L, "Need lightuserdata");
    auto *msg = static_cast<uint8_t *>(lua_touserdata(L, 1));
    auto sz = to_integer(L, 2);
    if (!sz || *sz < 0) {
        skynet_free(msg);
        return luaL_argerror(L, 2, "size out of range");
    }
    bool kept = false;
    int n = unpack_response(L, msg, static_cast<size_t>(*sz), [&] {
        auto *p = static_cast<payload *>(lua_newuserdata(L, sizeof(payload)));
        p->msg = msg;
        p->sz = static_cast<size_t>(*sz);
        if (luaL_newmetatable(L, payload_meta)) {
            lua_pushcfunction(L, lpayload_gc);
            lua_setfield(L, -2, "__gc");
        }
        lua_setmetatable(L, -2);
        kept = true;
    });
    if (!kept)
        skynet_free(msg);
    return n;
}

// The data bytes of a payload (at idx); false if there is none.
bool response_data(lua_State *L, int idx, const uint8_t **data, size_t *len) {
    payload *p = to_payload(L, idx);
    if (p == nullptr || p->msg == nullptr || p->sz < response_skip)
        return false;
    *data = p->msg + response_skip;
    *len = p->sz - response_skip;
    return true;
}

// append(t, msg, sz) stores the bytes as a string and frees msg;
// append(t, nil, v) stores v (the announced total of a multi-part message).
int lappend(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    int n = static_cast<int>(lua_objlen(L, 1));
    if (lua_isnil(L, 2)) {
        lua_settop(L, 3);
        lua_rawseti(L, 1, n + 1);
        return 0;
    }
    if (lua_type(L, 2) != LUA_TLIGHTUSERDATA || lua_touserdata(L, 2) == nullptr)
        return luaL_error(L, "Need lightuserdata");
    void *msg = lua_touserdata(L, 2);
    auto sz = to_integer(L, 3);
    if (!sz || *sz < 0 || *sz > INT_MAX) {
        skynet_free(msg);
        if (!sz)
            return integer_error(L, 3);
        return luaL_argerror(L, 3, "size out of range");
    }
    lua_pushlstring(L, static_cast<const char *>(msg), static_cast<size_t>(*sz));
    skynet_free(msg);
    lua_rawseti(L, 1, n + 1);
    return 0;
}

// {total, string...} -> msg, total, or nothing when the strings do not add
// up to total. For responses the items are payloads (taken).
int concat(lua_State *L, bool responses) {
    if (!lua_istable(L, 1))
        return 0;
    lua_rawgeti(L, 1, 1);
    std::optional<int64_t> total;
    if (lua_type(L, -1) == LUA_TNUMBER)
        total = to_integer(L, -1);
    lua_pop(L, 1);
    if (!total || *total < 0 || *total > INT_MAX)
        return 0;
    // The bytes of the item on top of the stack, or false: the end of the list.
    auto item = [&](const uint8_t **bytes, size_t *len) {
        if (responses)
            return response_data(L, -1, bytes, len);
        if (lua_type(L, -1) != LUA_TSTRING)
            return false;
        *bytes = reinterpret_cast<const uint8_t *>(lua_tolstring(L, -1, len));
        return true;
    };
    // Sum first: a forged total must not cost an allocation of its size.
    auto expect = static_cast<size_t>(*total);
    size_t sum = 0;
    int last = 1;
    for (;;) {
        lua_rawgeti(L, 1, last + 1);
        const uint8_t *bytes;
        size_t len = 0;
        bool more = item(&bytes, &len);
        lua_pop(L, 1);
        if (!more)
            break;
        sum += len;
        if (sum > expect)
            return 0;
        last++;
    }
    if (sum != expect)
        return 0;
    auto *buf = static_cast<uint8_t *>(skynet_malloc(std::max<size_t>(expect, 1)));
    size_t offset = 0;
    for (int i = 2; i <= last; i++) {
        lua_rawgeti(L, 1, i);
        const uint8_t *bytes = nullptr;
        size_t len = 0;
        item(&bytes, &len);
        if (len > 0)
            std::memcpy(buf + offset, bytes, len);
        offset += len;
        if (payload *p = responses ? to_payload(L, -1) : nullptr)
            p->release();
        lua_pop(L, 1);
    }
    lua_pushlightuserdata(L, buf);
    lua_pushinteger(L, static_cast<lua_Integer>(expect));
    return 2;
}

int lconcat(lua_State *L) {
    return concat(L, false);
}

// responsemsg(data) -> msg, sz: the payload of a successful response as
// given by unpackresponse_msg, or of a multi-part response gathered as
// {total, data...}. Nothing when it does not add up.
int lresponsemsg(lua_State *L) {
    if (lua_type(L, 1) == LUA_TTABLE)
        return concat(L, true);
    const uint8_t *data;
    size_t len;
    if (!response_data(L, 1, &data, &len))
        return 0;
    // the data moves to the front of the body, which changes hands
    payload *p = to_payload(L, 1);
    uint8_t *msg = p->msg;
    std::memmove(msg, data, len);
    p->msg = nullptr;
    p->sz = 0;
    lua_pushlightuserdata(L, msg);
    lua_pushinteger(L, static_cast<lua_Integer>(len));
    return 2;
}

// --- assembly: a multi-part request gathered in native memory ---
//
// It follows append/concat on a table exactly: the first item must be the
// total (a number), parts are counted up to the next non-string item, and
// the result exists only when they add up to the total.

constexpr const char *assembly_meta = "skynet.cluster.assembly";

class assembly {
  public:
    void add_total(int64_t total) {
        if (state_ == state::fresh) {
            total_ = total;
            state_ = total < 0 || total > INT_MAX ? state::invalid : state::collecting;
        } else if (state_ == state::collecting) {
            state_ = state::stopped;
        }
    }

    void add(const uint8_t *p, size_t sz) {
        if (state_ == state::fresh) {
            state_ = state::invalid; // a part before the header
        } else if (state_ == state::collecting) {
            if (sz > static_cast<size_t>(total_) - size_) {
                state_ = state::invalid;
                release();
                return;
            }
            reserve(size_ + sz);
            if (sz > 0)
                std::memcpy(data_ + size_, p, sz);
            size_ += sz;
        }
    }

    // The whole message (ownership passes to the caller), or nullptr.
    uint8_t *take(size_t *sz) {
        bool complete = (state_ == state::collecting || state_ == state::stopped) &&
                        size_ == static_cast<size_t>(total_);
        if (!complete)
            return nullptr;
        reserve(std::max<size_t>(size_, 1));
        uint8_t *msg = data_;
        *sz = size_;
        data_ = nullptr;
        size_ = cap_ = 0;
        state_ = state::invalid;
        return msg;
    }

    void release() {
        skynet_free(data_);
        data_ = nullptr;
        size_ = cap_ = 0;
    }

  private:
    enum class state : uint8_t { fresh, collecting, stopped, invalid };

    // Grows towards the total without trusting it: at most a few parts ahead
    // of what has arrived, so a forged total costs no big allocation.
    void reserve(size_t need) {
        if (need <= cap_)
            return;
        size_t want = std::max(need, std::max(cap_ * 2, 8 * multi_part));
        size_t cap = std::max(need, std::min(want, static_cast<size_t>(total_)));
        data_ = static_cast<uint8_t *>(skynet_realloc(data_, cap));
        cap_ = cap;
    }

    uint8_t *data_ = nullptr;
    size_t size_ = 0;
    size_t cap_ = 0;
    int64_t total_ = 0;
    state state_ = state::fresh;
};

assembly *check_assembly(lua_State *L) {
    return static_cast<assembly *>(luaL_checkudata(L, 1, assembly_meta));
}

int lassembly_gc(lua_State *L) {
    check_assembly(L)->release();
    return 0;
}

// assembly() -> a new, empty one.
int lassembly(lua_State *L) {
    new (lua_newuserdata(L, sizeof(assembly))) assembly();
    if (luaL_newmetatable(L, assembly_meta)) {
        lua_pushcfunction(L, lassembly_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return 1;
}

// assemble(a, nil, total) as append(t, nil, total); assemble(a, ptr, sz)
// copies sz bytes from ptr, which it neither keeps nor frees.
int lassemble(lua_State *L) {
    assembly *a = check_assembly(L);
    if (lua_isnil(L, 2)) {
        // append stores whatever it is given (nil: nothing); only a number
        // counts as a total
        if (lua_isnoneornil(L, 3))
            return 0;
        if (lua_type(L, 3) == LUA_TNUMBER) {
            auto total = to_integer(L, 3);
            a->add_total(total ? *total : -1);
        } else {
            a->add_total(-1);
        }
        return 0;
    }
    if (lua_type(L, 2) != LUA_TLIGHTUSERDATA || lua_touserdata(L, 2) == nullptr)
        return luaL_error(L, "Need lightuserdata");
    auto sz = to_integer(L, 3);
    if (!sz)
        return integer_error(L, 3);
    if (*sz < 0 || *sz > INT_MAX)
        return luaL_argerror(L, 3, "size out of range");
    a->add(static_cast<const uint8_t *>(lua_touserdata(L, 2)), static_cast<size_t>(*sz));
    return 0;
}

// assembled(a) -> msg, sz as concat, or nothing.
int lassembled(lua_State *L) {
    size_t sz = 0;
    uint8_t *msg = check_assembly(L)->take(&sz);
    if (msg == nullptr)
        return 0;
    lua_pushlightuserdata(L, msg);
    lua_pushinteger(L, static_cast<lua_Integer>(sz));
    return 2;
}

int lisname(lua_State *L) {
    const char *name = lua_tostring(L, 1);
    if (name != nullptr && name[0] == '@') {
        lua_pushboolean(L, 1);
        return 1;
    }
    return 0;
}

int lnodename(lua_State *L) {
    int pid = static_cast<int>(getpid());
    char host[256];
    if (gethostname(host, sizeof(host)) != 0) {
        lua_pushfstring(L, "noname%d", pid);
        return 1;
    }
    host[sizeof(host) - 1] = '\0';
    // As upstream, compare as signed char: bytes >= 0x80 become '_' too.
    for (char *p = host; *p != '\0'; p++) {
        if (static_cast<signed char>(*p) <= ' ')
            *p = '_';
    }
    lua_pushfstring(L, "%s%d", host, pid);
    return 1;
}

} // namespace

int luaopen_skynet_cluster_core(lua_State *L) {
    const luaL_Reg l[] = {
        {"packrequest", lpackrequest},
        {"packpush", lpackpush},
        {"packrequest_msg", lpackrequest_msg},
        {"packpush_msg", lpackpush_msg},
        {"packpush_batch", lpackpush_batch},
        {"batch", lbatch},
        {"batchmsg", lbatchmsg},
        {"packtrace", lpacktrace},
        {"unpackrequest", lunpackrequest},
        {"unpackrequest_borrow", lunpackrequest_borrow},
        {"packresponse", lpackresponse},
        {"packresponse_msg", lpackresponse_msg},
        {"unpackresponse", lunpackresponse},
        {"unpackresponse_msg", lunpackresponse_msg},
        {"responsemsg", lresponsemsg},
        {"append", lappend},
        {"concat", lconcat},
        {"assembly", lassembly},
        {"assemble", lassemble},
        {"assembled", lassembled},
        {"isname", lisname},
        {"nodename", lnodename},
        {nullptr, nullptr},
    };
    luaL_newlib(L, l);
    return 1;
}
