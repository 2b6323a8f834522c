// skynet.stm: one writer publishes a message (a packed Lua value) that
// readers in other services pick up when it changes, without copying it.
// The writer's object is shared by reference count; every published message
// is too, so a reader keeps the one it last read alive while it uses it.
#include "modules.h"
#include "skynet_malloc.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

namespace {

// A published message, freed (skynet_free) with its last holder.
struct Message {
    void *data;
    uint32_t size;
    Message(void *d, uint32_t sz) : data(d), size(sz) {}
    ~Message() { skynet_free(data); }
    Message(const Message &) = delete;
    Message &operator=(const Message &) = delete;
};

using MessageRef = std::shared_ptr<const Message>;

class Object {
  public:
    explicit Object(MessageRef first) : current_(std::move(first)) {}

    void retain() { refs_.fetch_add(1, std::memory_order_relaxed); }
    static void release(Object *obj) {
        if (obj->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            std::unique_ptr<Object> doomed(obj);
    }

    MessageRef current() {
        std::lock_guard lock(mutex_);
        return current_;
    }
    // A new message; nullptr once the writer is gone.
    void publish(MessageRef m) {
        MessageRef old;
        {
            std::lock_guard lock(mutex_);
            old = std::exchange(current_, std::move(m));
        }
    }

  private:
    std::mutex mutex_;
    MessageRef current_;
    std::atomic<int> refs_{1};
};

struct Writer {
    Object *obj;
};

struct Reader {
    Object *obj;
    MessageRef last;
};

// (msg, sz) of a packed value (ownership taken), or a string (copied).
MessageRef message_arg(lua_State *L, int index) {
    void *data;
    size_t size;
    if (lua_isuserdata(L, index)) {
        data = lua_touserdata(L, index);
        size = static_cast<size_t>(luaL_checkinteger(L, index + 1));
    } else {
        const char *s = luaL_checklstring(L, index, &size);
        data = skynet_malloc(size);
        std::memcpy(data, s, size);
    }
    return std::make_shared<const Message>(data, static_cast<uint32_t>(size));
}

Writer *check_writer(lua_State *L) {
    auto *w = static_cast<Writer *>(luaL_checkudata(L, 1, "skynet.stm.writer"));
    luaL_argcheck(L, w->obj != nullptr, 1, "stm writer released");
    return w;
}

int writer_new(lua_State *L) {
    MessageRef first = message_arg(L, 1);
    auto *w = static_cast<Writer *>(lua_newuserdata(L, sizeof(Writer)));
    // from here on the object is owned by its reference count
    w->obj = std::make_unique<Object>(std::move(first)).release();
    luaL_getmetatable(L, "skynet.stm.writer");
    lua_setmetatable(L, -2);
    return 1;
}

int writer_update(lua_State *L) {
    check_writer(L)->obj->publish(message_arg(L, 2));
    return 0;
}

int writer_gc(lua_State *L) {
    auto *w = static_cast<Writer *>(lua_touserdata(L, 1));
    if (w->obj != nullptr) {
        w->obj->publish(nullptr);
        Object::release(std::exchange(w->obj, nullptr));
    }
    return 0;
}

// copy(writer): a reference for one reader, to send as light userdata.
int lcopy(lua_State *L) {
    Object *obj = check_writer(L)->obj;
    obj->retain();
    lua_pushlightuserdata(L, obj);
    return 1;
}

int reader_new(lua_State *L) {
    luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
    auto *obj = static_cast<Object *>(lua_touserdata(L, 1));
    auto *r = static_cast<Reader *>(lua_newuserdata(L, sizeof(Reader)));
    new (r) Reader{obj, nullptr};
    luaL_getmetatable(L, "skynet.stm.reader");
    lua_setmetatable(L, -2);
    return 1;
}

// reader(f[, ud]): false if nothing new was published since the last read,
// else true, f(msg, sz, ud).
int reader_read(lua_State *L) {
    auto *r = static_cast<Reader *>(luaL_checkudata(L, 1, "skynet.stm.reader"));
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_argcheck(L, r->obj != nullptr, 1, "stm reader released");
    MessageRef m = r->obj->current();
    if (m == r->last || m == nullptr) {
        r->last = std::move(m);
        lua_pushboolean(L, 0);
        return 1;
    }
    r->last = m;
    lua_settop(L, 3); // reader f ud
    lua_pushboolean(L, 1);
    lua_replace(L, 1); // true f ud
    lua_pushlightuserdata(L, m->data);
    lua_pushinteger(L, m->size);
    lua_pushvalue(L, 3);
    lua_remove(L, 3); // true f msg sz ud
    lua_call(L, 3, LUA_MULTRET);
    return lua_gettop(L);
}

int reader_gc(lua_State *L) {
    auto *r = static_cast<Reader *>(lua_touserdata(L, 1));
    if (r->obj != nullptr)
        Object::release(std::exchange(r->obj, nullptr));
    r->~Reader();
    return 0;
}

void new_metatable(lua_State *L, const char *name, lua_CFunction call, lua_CFunction gc) {
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, call);
    lua_setfield(L, -2, "__call");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
}

} // namespace

extern "C" int luaopen_skynet_stm(lua_State *L) {
    new_metatable(L, "skynet.stm.writer", writer_update, writer_gc);
    new_metatable(L, "skynet.stm.reader", reader_read, reader_gc);
    const luaL_Reg functions[] = {
        {"new", writer_new},
        {"copy", lcopy},
        {"newcopy", reader_new},
        {nullptr, nullptr},
    };
    lua_createtable(L, 0, 3);
    luaL_register(L, nullptr, functions);
    return 1;
}
