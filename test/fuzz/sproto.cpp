// libFuzzer target: sproto on arbitrary bytes, as a client could send them.
// The first byte picks what reads the rest: sproto.core.unpack, decode of one
// of the schema's types (packed or not), the schema binary loader, or the
// schema text parser. Bad input must give a Lua error or a null schema; a
// crash or sanitizer report is a finding.
#include "lua/modules.h"
#include "sproto/parser.h"
#include "sproto/schema.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

constexpr const char *kSchema = R"(
.Phone { number 0 : string  type 1 : integer }
.Person {
    name 0 : string
    id 1 : integer
    phone 3 : *Phone
    alive 4 : boolean
    score 5 : double
    money 6 : integer(2)
    tags 7 : *string
    nums 8 : *integer
    flags 9 : *boolean
    blob 10 : binary
    friends 11 : *Person(id)
    map 12 : *Pair()
    big 40 : integer
    .Pair { k 0 : string  v 1 : Phone }
}
.package { type 0 : integer  session 1 : integer  ud 2 : string }
)";

constexpr const char *kTypes[] = {"Phone", "Person", "Person.Pair", "package"};

lua_State *fuzz_state() {
    static lua_State *L = [] {
        lua_State *s = luaL_newstate();
        luaL_openlibs(s);
        lua_pushcfunction(s, luaopen_sproto_core);
        lua_call(s, 0, 1);
        lua_setglobal(s, "core");
        // Owned here, not by the Lua state, so it is freed at exit.
        static auto bin = sproto::parse(kSchema, "fuzz").binary;
        static auto schema =
            sproto::Schema::load({reinterpret_cast<const uint8_t *>(bin.data()), bin.size()});
        lua_pushlightuserdata(s, schema.get());
        lua_setglobal(s, "SP");
        std::atexit([] { lua_close(fuzz_state()); }); // frees the codec buffers before LSan looks
        return s;
    }();
    return L;
}

void call(lua_State *L, const char *fn, int type, std::string_view bytes) {
    lua_getglobal(L, "core");
    lua_getfield(L, -1, fn);
    int nargs = 1;
    if (type >= 0) {
        lua_getfield(L, -2, "querytype");
        lua_getglobal(L, "SP");
        lua_pushstring(L, kTypes[type]);
        lua_call(L, 2, 1);
        nargs = 2;
    }
    lua_pushlstring(L, bytes.data(), bytes.size());
    lua_pcall(L, nargs, 0, 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    lua_State *L = fuzz_state();
    lua_settop(L, 0);
    std::string_view rest(reinterpret_cast<const char *>(data + 1), size - 1);
    int type = data[0] % 4;
    switch ((data[0] >> 2) % 5) {
    case 0:
        call(L, "unpack", -1, rest);
        break;
    case 1:
    case 2:
        call(L, "decode", type, rest);
        break;
    case 3: {
        // a packed message: unpack then decode, as sproto:pdecode
        lua_getglobal(L, "core");
        lua_getfield(L, -1, "unpack");
        lua_pushlstring(L, rest.data(), rest.size());
        if (lua_pcall(L, 1, 1, 0) == 0 && lua_isstring(L, -1)) {
            size_t n = 0;
            const char *s = lua_tolstring(L, -1, &n);
            call(L, "decode", type, {s, n});
        }
        break;
    }
    default:
        if (type % 2 == 0)
            sproto::Schema::load({data + 1, size - 1});
        else
            sproto::parse(rest, "fuzz");
        break;
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
