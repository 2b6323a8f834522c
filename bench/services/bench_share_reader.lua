-- A sharedata reader of the sharedata_read workload: "read" does random
-- two-deep field reads through its proxy for a number of seconds; "hold"
-- queries the big config and keeps the proxy (memory figure).
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

local held

local CMD = {}

-- keys: the top-level names and the second-level names, as arrays
function CMD.read(seconds, keys1, keys2, seed)
	local cfg = sharedata.query "bench_cfg"
	local n1, n2 = #keys1, #keys2
	local x = seed
	local reads, sum = 0, 0
	local stop = skynet.now() + math.floor(seconds * 100)
	while skynet.now() < stop do
		for _ = 1, 1000 do
			x = (x * 1103515245 + 12345) % 2147483648
			local a = keys1[x % n1 + 1]
			local b = keys2[math.floor(x / 65536) % n2 + 1]
			sum = sum + cfg[a][b].v
		end
		reads = reads + 1000
	end
	return reads, sum
end

function CMD.hold()
	held = sharedata.query "bench_big"
	local n = #held
	return n, held[1].name, #held[n].desc
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.ret(skynet.pack(CMD[cmd](...)))
	end)
end)
