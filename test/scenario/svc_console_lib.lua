-- Client side of the debug console for the console_* scenarios.
local skynet = require "skynet"
local socket = require "skynet.socket"

local M = {}

-- A debug_console on a free port: its address and port (the console
-- reports the port it bound through debug INFO).
function M.start_console()
	local console = skynet.newservice("debug_console", "127.0.0.1", 0)
	local where = skynet.call(console, "debug", "INFO")
	assert(where.ip == "127.0.0.1", "console ip")
	assert(where.port > 0, "console port")
	return console, where.port
end

local client = {}
client.__index = client

function M.connect(port)
	local id = assert(socket.open("127.0.0.1", port))
	return setmetatable({ id = id, buffer = "" }, client)
end

-- Reads until `pattern` shows up in the input; returns the text before it
-- and the pattern's captures, consuming both.
function client:expect(pattern)
	while true do
		local s, e = self.buffer:find(pattern)
		if s then
			local before = self.buffer:sub(1, s - 1)
			local captures = { self.buffer:match(pattern, s) }
			self.buffer = self.buffer:sub(e + 1)
			return before, table.unpack(captures)
		end
		local data = socket.read(self.id)
		if not data then
			error(string.format("connection closed while waiting for %q; got %q", pattern, self.buffer), 2)
		end
		self.buffer = self.buffer .. data
	end
end

function client:send(line)
	socket.write(self.id, line .. "\n")
end

local function lines(text)
	local t = {}
	for line in text:gmatch "([^\n]*)\n" do
		t[#t + 1] = line
	end
	return t
end

-- Runs one console command: its output lines and "OK" or "Error".
function client:run(line)
	self:send(line)
	local before, status = self:expect "<CMD (%a+)>\n"
	return lines(before), status
end

-- Everything until the console closes the connection.
function client:read_all()
	while true do
		local data = socket.read(self.id)
		if not data then
			return self.buffer
		end
		self.buffer = self.buffer .. data
	end
end

function client:close()
	socket.close(self.id)
end

M.lines = lines

-- The output line that matches pattern, or nil.
function M.find(output, pattern)
	for _, line in ipairs(output) do
		if line:find(pattern) then
			return line
		end
	end
end

return M
