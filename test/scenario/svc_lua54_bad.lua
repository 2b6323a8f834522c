-- A 5.4 service with a syntax error on line 4.
local skynet = require "skynet"
local x = 1 << 2
local y = x & & 3
skynet.start(function() end)
