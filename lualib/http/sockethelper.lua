-- Socket glue for the http library: read/write closures that raise
-- `socket_error` instead of returning false, and a connect with a timeout.
local skynet = require "skynet"
local socket = require "skynet.socket"

local error = error
local tostring = tostring

local sockethelper = {}

-- One shared error value, so callers can test `err == socket_error`; the
-- text of the latest failure is kept until it is printed once.
local socket_error = setmetatable({}, {
	__tostring = function(self)
		local info = self.err_info
		self.err_info = nil
		return info or "[Socket Error]"
	end,
	__call = function(self, info)
		self.err_info = "[Socket Error] : " .. tostring(info)
		return self
	end,
})
sockethelper.socket_error = socket_error

local function reader(fd)
	return function(sz)
		local data = socket.read(fd, sz)
		if not data then
			error(socket_error("read failed fd = " .. fd))
		end
		return data
	end
end

-- A reader that first hands out `pre` (bytes already taken off the socket).
local function reader_after(fd, pre)
	local read = reader(fd)
	return function(sz)
		if pre == nil then
			return read(sz)
		end
		local n = #pre
		if sz == nil or sz == n then
			local data = pre
			pre = nil
			return data
		elseif sz < n then
			local data = pre:sub(1, sz)
			pre = pre:sub(sz + 1)
			return data
		end
		local head = pre
		pre = nil
		return head .. read(sz - n)
	end
end

function sockethelper.readfunc(fd, pre)
	if pre and pre ~= "" then
		return reader_after(fd, pre)
	end
	return reader(fd)
end

sockethelper.readall = socket.readall

function sockethelper.writefunc(fd)
	return function(content)
		if not socket.write(fd, content) then
			error(socket_error("write failed fd = " .. fd))
		end
	end
end

-- connect(host, port [, timeout]): timeout in centiseconds. A connection
-- that completes after the timeout is closed as soon as it appears.
function sockethelper.connect(host, port, timeout)
	local fd, err
	local timed_out = false
	if timeout then
		local co = coroutine.running()
		local waiting = true
		skynet.fork(function()
			fd, err = socket.open(host, port)
			if waiting then
				skynet.wakeup(co)
			elseif fd then
				socket.close(fd)
			end
		end)
		skynet.sleep(timeout)
		waiting = false
		if not fd and err == nil then
			timed_out = true
		end
	else
		fd, err = socket.open(host, port)
	end
	if fd then
		return fd
	end
	error(socket_error(string.format("connect failed host = %s port = %s timeout = %s err = %s is_time_out = %s",
		host, port, tostring(timeout), tostring(err), tostring(timed_out))))
end

function sockethelper.close(fd)
	socket.close(fd)
end

function sockethelper.shutdown(fd)
	socket.shutdown(fd)
end

return sockethelper
