// libFuzzer target: netpack's gate framing (u16 big-endian length + body) on
// a byte stream cut into socket reads at fuzzer-chosen points, over several
// connections, with closes in between. Every frame popped is freed, as the
// gate frees what it hands on.
#include "fuzz_lua.h"
#include "lua/modules.h"
#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <cstring>

namespace {

// feed(queue, type, id, bytes) -> queue, ...: one socket message through filter.
int feed(lua_State *L) {
    lua_settop(L, 4);
    size_t len = 0;
    const char *bytes = luaL_optlstring(L, 4, "", &len);
    skynet_socket_message m{};
    m.type = static_cast<int>(luaL_checkinteger(L, 2));
    m.id = static_cast<int>(luaL_checkinteger(L, 3));
    if (m.type == SKYNET_SOCKET_TYPE_DATA) {
        m.buffer = static_cast<char *>(skynet_malloc(len ? len : 1));
        std::memcpy(m.buffer, bytes, len);
        m.ud = static_cast<int>(len);
    }
    lua_getfield(L, lua_upvalueindex(1), "filter");
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, &m);
    lua_pushinteger(L, sizeof(m));
    lua_call(L, 3, LUA_MULTRET);
    return lua_gettop(L) - 4;
}

int trash(lua_State *L) {
    skynet_free(lua_touserdata(L, 1));
    return 0;
}

int open_netpack(lua_State *L) {
    luaopen_skynet_netpack(L);
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, feed, 1);
    lua_setfield(L, -2, "feed_for_fuzz");
    lua_pushcfunction(L, trash);
    lua_setfield(L, -2, "trash_for_fuzz");
    return 1;
}

const char *driver = R"(
local np = require "skynet.netpack"
local DATA, CLOSE = 1, 3
local function drain(q, kind, fd, msg)
	if kind == "data" then np.trash_for_fuzz(msg) end
	if kind == "more" then
		while true do
			local _, m = np.pop(q)
			if not m then break end
			np.trash_for_fuzz(m)
		end
	end
end
return function(data)
	local q
	local pos = 1
	-- each step: 1 control byte (low 2 bits: fd, bit 2: close, rest: read length)
	while pos <= #data do
		local ctl = data:byte(pos)
		local fd = ctl % 4
		local n = math.floor(ctl / 8) * 4 + 1
		local chunk = data:sub(pos + 1, pos + n)
		pos = pos + 1 + n
		local kind, rfd, msg
		if math.floor(ctl / 4) % 2 == 1 then
			q, kind, rfd, msg = np.feed_for_fuzz(q, CLOSE, fd)
		else
			q, kind, rfd, msg = np.feed_for_fuzz(q, DATA, fd, chunk)
		end
		drain(q, kind, rfd, msg)
	end
	if q then np.clear(q) end
end
)";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::run_driver("skynet.netpack", open_netpack, driver, data, size);
    return 0;
}
