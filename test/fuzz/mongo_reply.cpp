// libFuzzer target: what skynet.db.mongo does with bytes from the server.
// The first 4 bytes go to driver.length, the rest to driver.reply, and a
// document it accepts to bson.decode. Malformed input must raise a Lua
// error; anything else (crash, sanitizer report) is a finding.
#include "lua/modules.h"

#include <cstddef>
#include <cstdint>

namespace {

constexpr const char *kReadReply = R"(
local driver, bson = ...
return function(message)
	if #message < 4 then
		return
	end
	pcall(driver.length, message:sub(1, 4))	-- independent of what follows
	local ok, _, document = driver.reply(message:sub(5))
	if ok then
		return bson.decode(document)
	end
end
)";

lua_State *fuzz_state() {
    static lua_State *L = [] {
        lua_State *s = luaL_newstate();
        luaL_openlibs(s);
        luaL_loadstring(s, kReadReply);
        luaopen_skynet_mongo_driver(s);
        luaopen_bson(s);
        lua_call(s, 2, 1);
        lua_setglobal(s, "read_reply");
        return s;
    }();
    return L;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lua_State *L = fuzz_state();
    lua_settop(L, 0);
    lua_getglobal(L, "read_reply");
    lua_pushlstring(L, reinterpret_cast<const char *>(data), size);
    lua_pcall(L, 1, 0, 0);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
