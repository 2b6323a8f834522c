-- A snax service served to other nodes (cluster.snax): reachable on the lua
-- protocol through snax.enablecluster.
local snax = require "skynet.snax"

local total = 0

function init(start)
	total = start or 0
	snax.enablecluster()
end

function accept.add(n)
	total = total + n
end

function response.total()
	return total
end

function response.echo(...)
	return ...
end

function response.fail()
	error "csnaxping fail"
end
