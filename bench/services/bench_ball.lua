-- One side of a ping-pong pair: every "ball" is counted and sent back to the
-- peer while the pair is running.
local skynet = require "skynet"

local peer
local hits = 0
local playing = false

local command = {}

function command.ball(n)
	hits = hits + 1
	if playing then
		skynet.send(peer, "lua", "ball", n + 1)
	end
end

function command.pair(other)
	peer = other
	playing = true
	skynet.ret(skynet.pack(true))
end

function command.serve(balls)
	for _ = 1, balls do
		skynet.send(peer, "lua", "ball", 0)
	end
	skynet.ret(skynet.pack(true))
end

function command.hits()
	skynet.ret(skynet.pack(hits))
end

function command.stop()
	playing = false
	skynet.ret(skynet.pack(hits))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
