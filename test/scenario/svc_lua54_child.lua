-- A service in Lua 5.4 syntax, started with newservice.
local skynet = require "skynet"

local function flags(...)
	local f = 0
	for i = 1, select("#", ...) do
		f = f | 1 << select(i, ...)
	end
	return f
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, a, b)
		if cmd == "ops" then
			skynet.ret(skynet.pack(a & b, a | b, a ~ b, ~a, a << 4, a >> 4, a // b, flags(0, 3, 5)))
		elseif cmd == "where" then
			local ok, err = pcall(function()
				local x <const> = a
				return x & 1.5 -- line 19
			end)
			skynet.ret(skynet.pack(ok, err))
		end
	end)
end)
