-- A snax service of the shared-data demo: post.add(n), req.get().
local skynet = require "skynet"

local total = 0

function init(start)
	total = start
end

function exit(why)
	skynet.error("share_counter exits: " .. tostring(why))
end

function accept.add(n)
	total = total + n
end

function response.get()
	return total
end
