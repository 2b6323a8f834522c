// libFuzzer target: the redis reply parser (lualib/skynet/db/redis/resp.lua,
// RESP2 and RESP3) on arbitrary bytes, reply after reply.
#include "lua_decoder.h"

namespace {

constexpr const char *decoder = R"(
local resp = require "skynet.db.redis.resp"
return function(sock)
	while true do
		resp.read(sock)
	end
end
)";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lua_State *L = fuzz::make_state(decoder);
    fuzz::run(L, data, size);
    return 0;
}
