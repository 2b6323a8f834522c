-- gate_echo agent: every package the gate forwards goes back to its client
-- with the same 2-byte big-endian length header.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function frame(msg)
	local n = #msg
	return string.char(math.floor(n / 256), n % 256) .. msg
end

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(fd, _, msg)
		skynet.ignoreret()	-- session is the fd here, not a request
		socket.write(fd, frame(msg))
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.ret(skynet.pack(true))
	end)
end)
