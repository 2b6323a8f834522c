-- Read-side flow control under sized reads: input piling up past socket.lua's
-- 128 KiB threshold pauses the socket (the DATA handler yields while doing
-- so) and the next read resumes it. Whatever the interleaving of pauses,
-- resumes and wake-ups, every read returns exactly the bytes it asked for,
-- in order.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

local FRAMES = 600

-- Reads every frame of CMD.frames; `stall(i)` runs before frame i (sleeps
-- let input pile up, yields let queued DATA messages through).
local function read_frames(id, stall)
	for i = 1, FRAMES do
		stall(i)
		local h, rest = socket.read(id, 4)
		if not h then
			error(string.format("frame %d: header read ended early (%d bytes left)", i, #rest))
		end
		local n = string.unpack(">I4", h)
		local body = L.frame_body(i)
		if n ~= #body then
			error(string.format("frame %d: length %d, expected %d", i, n, #body))
		end
		local got, left = socket.read(id, n)
		if got ~= body then
			error(string.format("frame %d: body differs (%s)", i,
				got and ("got " .. #got .. " bytes") or ("read ended early, " .. #left .. " left")))
		end
	end
	local ok, rest = socket.read(id, 1)
	T.eq(ok, false, "the close follows the last frame")
	T.eq(rest, "", "nothing after the last frame")
end

local function run(accepted, port, peer, stall)
	local q = L.queue()
	skynet.fork(function()
		q.push(pcall(skynet.call, peer, "lua", "frames", port, FRAMES))
	end)
	local id = L.accept(accepted)
	read_frames(id, stall)
	local ok, err = q.pop(3000, "writer")
	T.ok(ok, "writer: " .. tostring(err))
	socket.close(id)
end

skynet.start(function()
	local lid, port, accepted = L.listener()
	local peer = skynet.newservice("svc_sock_peer")

	T.case("a reader that keeps up", function()
		run(accepted, port, peer, function() end)
	end)

	T.case("a reader that stalls now and then (pauses, resumes)", function()
		run(accepted, port, peer, function(i)
			if i % 17 == 0 then
				skynet.sleep(1)
			elseif i % 5 == 0 then
				skynet.yield()
			end
		end)
		T.ok(L.log_wait("Pause socket (", 500), "pause logged")
	end)

	T.case("another coroutine busy on the same service while reading", function()
		local busy = true
		skynet.fork(function()
			while busy do
				skynet.yield()
			end
		end)
		run(accepted, port, peer, function(i)
			if i % 29 == 0 then
				skynet.sleep(1)
			end
		end)
		busy = false
	end)

	socket.close(lid)
	T.done()
end)
