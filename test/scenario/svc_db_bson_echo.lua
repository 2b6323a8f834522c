-- Decodes a bson string and encodes it again in another service.
local skynet = require "skynet"
local bson = require "bson"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, bytes)
		assert(cmd == "roundtrip")
		local t = bson.decode(bytes)
		skynet.ret(skynet.pack(tostring(bson.encode_order("hello", t.hello, "world", t.world))))
	end)
end)
