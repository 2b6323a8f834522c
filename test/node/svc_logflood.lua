-- Driven by test/node/logdrain.sh: logs `flood_lines` lines of 200 bytes as
-- fast as it can, then stops the node the way `flood_then` says.
local skynet = require "skynet"

local lines = tonumber(skynet.getenv "flood_lines")
local after = skynet.getenv "flood_then"

local function flood()
	local pad = string.rep("x", 180)
	for i = 1, lines do
		skynet.error(string.format("FLOOD %08d %s", i, pad))
	end
	local f = io.open "/proc/self/status"
	local hwm = f and f:read("*a"):match "VmHWM:%s*(%d+)"
	if f then f:close() end
	print("FLOODED " .. lines .. " peak " .. tostring(hwm) .. " KiB")
end

if after == "error" then
	-- A bootstrap that fails while loading, with a backlog in the logger.
	flood()
	error "the bootstrap fails on purpose"
end

local function logged_echo()
	local echo = skynet.newservice "svc_node_echo"
	local c = require "skynet.core"
	c.command("LOGON", skynet.address(echo))
	local n = tonumber(skynet.getenv "flood_calls")
	for i = 1, n do
		skynet.send(echo, "lua", "ping", i)
	end
	skynet.call(echo, "lua", "ping", "last")
	print(string.format("LOGGED %08x", echo))
end

skynet.start(function()
	if skynet.getenv "flood_calls" then
		logged_echo()
	end
	flood()
	if after == "abort" then
		skynet.abort()
	elseif after == "exit" then
		skynet.exit()
	elseif after == "tick" then
		skynet.fork(function()
			local n = 0
			while true do
				n = n + 1
				skynet.error("tick " .. n)
				skynet.sleep(1)
			end
		end)
	end
	-- "wait": the test sends a signal
end)
