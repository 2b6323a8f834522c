// libFuzzer target: the MySQL/MariaDB decoder (lualib/skynet/db/mysql/
// protocol.lua) on arbitrary bytes. The first byte picks what the bytes are
// read as: the server greeting, a text or binary (compact or not) result
// stream, or a prepare answer.
#include "lua_decoder.h"

namespace {

constexpr const char *decoder = R"(
local protocol = require "skynet.db.mysql.protocol"
return function(sock)
	local mode = sock:read(1):byte() % 6
	while true do
		if mode == 0 then
			protocol.parse_greeting(protocol.read_packet(sock))
		elseif mode == 5 then
			protocol.read_prepare(sock)
		else
			protocol.read_results(sock, mode >= 3, mode % 2 == 0)
		end
	end
end
)";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lua_State *L = fuzz::make_state(decoder);
    fuzz::run(L, data, size);
    return 0;
}
