-- Puts the example's schemas in sprotoloader slots 1 (c2s) and 2 (s2c), for
-- every agent to load. Stays alive: the slots belong to the node.
local skynet = require "skynet"
local sprotoloader = require "sprotoloader"
local proto = require "proto"

skynet.start(function()
	sprotoloader.save(proto.c2s, 1)
	sprotoloader.save(proto.s2c, 2)
end)
