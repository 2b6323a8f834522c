-- A module whose body blocks (required from threads by skynet_coroutine).
local skynet = require "skynet"

SKYNET_SLOWMOD_LOADS = (SKYNET_SLOWMOD_LOADS or 0) + 1
local M = { loads = SKYNET_SLOWMOD_LOADS, inited = false }
skynet.sleep(5)
skynet.init(function() M.inited = true end)
return M
