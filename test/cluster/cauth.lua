-- Client node of auth.sh: calls the serving nodes named by the config key
-- auth_targets ("node=ok node=fail ..."), expecting each call to succeed or
-- to fail with an error (never to hang), and sends after a refusal.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "ctest"

skynet.start(function()
	for node, expect in (skynet.getenv "auth_targets"):gmatch "(%w+)=(%w+)" do
		if expect == "ok" then
			T.case(node .. ": calls pass the handshake", function()
				T.eq(cluster.call(node, "@echo", "whoami"), node, "first call")
				T.eq(cluster.call(node, "@echo", "whoami"), node, "second call, same connection")
			end)
		else
			T.case(node .. ": the call fails with an error, promptly", function()
				local t0 = skynet.now()
				local err = T.raises(cluster.call, node, "@echo", "whoami")
				T.ok(skynet.now() - t0 < 800, "failed after " .. (skynet.now() - t0) .. " cs: " .. err)
			end)
		end
	end
	T.done()
end)
