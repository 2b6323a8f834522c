-- A module whose body blocks and then fails (for skynet_coroutine).
local skynet = require "skynet"
skynet.sleep(5)
error "badmod-body-failed"
