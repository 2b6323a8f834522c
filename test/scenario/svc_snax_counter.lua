-- A snax service for the snax scenarios (found on the `snax` path).
local skynet = require "skynet"
local snax = require "skynet.snax"

local count = 0
local label = "counter"
local started_with

function init(...)
	started_with = table.concat({ ... }, ",")
	snax.enablecluster()
end

function exit(...)
	skynet.error("svc_snax_counter exit: " .. table.concat({ ... }, ","))
end

function accept.add(n)
	count = count + n
end

function accept.quit(...)
	snax.exit(...)
end

function response.get()
	return count, label
end

function response.started()
	return started_with
end

function response.boom()
	error "counter boom"
end

function response.myself()
	local me = snax.self()
	return me.handle, me.type, tostring(me)
end

function response.sleep(ti)
	skynet.sleep(ti)
	return ti
end
