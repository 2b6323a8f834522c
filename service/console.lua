-- Reads the node's stdin; each line launches a service:
--	snax <name> args...	a snax service
--	<name> args...		a lua service (snlua)
-- A launch that fails is logged and the console keeps reading.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function launch_snax(name, ...)
	local found, snax = pcall(require, "skynet.snax")
	if not found then
		error "snax is not available on this node"
	end
	return snax.newservice(name, ...)
end

local function launch(line)
	line = line:match "^%s*(.-)%s*$"
	local words = {}
	for w in line:gmatch "%S+" do
		words[#words + 1] = w
	end
	if words[1] == nil then
		return
	end
	local ok, err
	if words[1] == "snax" then
		ok, err = pcall(launch_snax, table.unpack(words, 2))
	else
		ok, err = pcall(skynet.newservice, table.concat(words, " "))
	end
	if not ok then
		skynet.error("console: " .. line .. " : " .. tostring(err))
	end
end

local function console_loop()
	local stdin = socket.stdin()
	while true do
		local line = socket.readline(stdin, "\n")
		if not line then
			break
		end
		launch(line)
	end
	skynet.error "console: stdin closed"
end

skynet.start(function()
	skynet.fork(console_loop)
end)
