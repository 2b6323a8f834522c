-- A module (not a service) for skynet_service: records when its body and its
-- skynet.init function run.
local skynet = require "skynet"

local order = _G.SKYNET_TEST_ORDER
if order then
	order[#order + 1] = "modbody"
	skynet.init(function() order[#order + 1] = "modinit" end)
end

return { loaded = true }
