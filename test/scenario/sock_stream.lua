-- Bulk data: a 64 MiB stream from another service arrives intact and in
-- order, with read-side flow control (pause above 128 KiB buffered, resume
-- on the next read); readall of a large stream.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.abort, used by T.done
local socket = require "skynet.socket"
local T = require "testlib"
local L = require "svc_socklib"

local BLOCK = 65536

skynet.start(function()
	local lid, port, accepted = L.listener()
	local peer = skynet.newservice("svc_sock_peer")

	T.case("64 MiB stream arrives intact and in order", function()
		local blocks = 1024
		local seed = 4242
		local q = L.queue()
		skynet.fork(function()
			q.push(pcall(skynet.call, peer, "lua", "stream", port, blocks, seed))
		end)
		local id = L.accept(accepted)
		-- Nobody reads yet: the buffered input passes 128 KiB and the socket
		-- is paused.
		T.ok(L.log_wait(string.format("Pause socket (%d) size : ", id), 1000), "pause logged")
		local base = L.random_bytes(BLOCK - 8, seed)
		local sum = 1
		for i = 1, blocks do
			local b = socket.read(id, BLOCK)
			if b ~= L.stream_block(base, i) then
				error(string.format("block %d differs (got %s bytes)", i, b and #b or "no"))
			end
			sum = L.adler32(b, sum)
		end
		T.ok(L.log_wait(string.format("Resume socket (%d)", id), 500), "resume logged")
		local ok, rest = socket.read(id, 1)
		T.eq(ok, false, "stream ends with the close")
		T.eq(rest, "", "no extra bytes")
		local called, peer_sum = q.pop(3000, "writer")
		T.ok(called, "writer finished: " .. tostring(peer_sum))
		T.eq(sum, peer_sum, "checksum")
		socket.close(id)
	end)

	T.case("readall keeps reading past the pause threshold until the close", function()
		local head = L.random_bytes(1024 * 1024, 7)
		local tail = string.rep("tail", 1000)
		local peer_id = skynet.call(peer, "lua", "send", port, head, false)
		local id = L.accept(accepted)
		local q = L.queue()
		skynet.fork(function()
			q.push(socket.readall(id))
		end)
		-- 1 MiB is buffered (past the 128 KiB pause threshold) while readall
		-- waits; the rest and the close come only afterwards
		local function bytes_read()
			for _, info in ipairs(socket.netstat()) do
				if info.id == id then
					return info.read
				end
			end
			return 0
		end
		local deadline = skynet.now() + 500
		while bytes_read() < #head and skynet.now() < deadline do
			skynet.sleep(1)
		end
		T.eq(bytes_read(), #head, "head received")
		skynet.sleep(1)	-- its DATA messages, queued before this timer, are handled
		skynet.call(peer, "lua", "write", peer_id, tail, true)
		local all = q.pop(1000, "readall")
		T.eq(#all, #head + #tail, "length")
		T.ok(all == head .. tail, "content")
		socket.close(id)
	end)

	T.case("a long line arriving together with the close is still a line", function()
		local line = string.rep("0123456789", 40000)
		-- the peer closes right after writing: the close often lands while
		-- the reader is being woken up, so try a few times
		for i = 1, 5 do
			skynet.fork(skynet.call, peer, "lua", "send", port, line .. "\nnext\n", true)
			local id = L.accept(accepted)
			local got = socket.readline(id)
			T.ok(got == line, "long line intact, round " .. i)
			T.eq(socket.readline(id), "next")
			T.eq(socket.readline(id), false, "then the close")
			socket.close(id)
		end
	end)

	socket.close(lid)
	T.done()
end)
