-- A service the skynet_* scenarios call: each "lua" command exercises one
-- way of answering (or not answering) a request.
local skynet = require "skynet"
require "skynet.manager"

local NORET = {}
local held = {}	-- name -> response closure
local notes = {}	-- things observed, fetched with "note"
local CMD = {}

function CMD.echo(...)
	return ...
end

function CMD.boom(msg)
	error(msg or "boom")
end

function CMD.exit()
	skynet.exit()
end

function CMD.twice()
	skynet.retpack("first")
	local ok, err = pcall(skynet.retpack, "second")
	notes.twice = tostring(err)
	notes.twice_ok = ok
	return NORET
end

function CMD.forget()
	return NORET
end

function CMD.ignore()
	skynet.ignoreret()
	return NORET
end

function CMD.ctx()
	return skynet.context()
end

function CMD.hold(name)
	held[name] = skynet.response()
	return NORET
end

function CMD.hold_packed(name)
	held[name] = skynet.response(function(...) return skynet.packstring(...) end)
	return NORET
end

-- answer a held request: returns what the closure returned
function CMD.release(name, ok, ...)
	local r = held[name]
	local delivered = r(ok, ...)
	local again_ok, again_err = pcall(r, true, "again")
	notes[name .. "_again"] = again_ok and "no error" or tostring(again_err)
	return delivered
end

function CMD.test(name)
	return held[name]("TEST")
end

function CMD.response_after_ret()
	skynet.retpack "ret"
	local ok, err = pcall(skynet.response)
	notes.response_after_ret = tostring(err)
	return NORET
end

function CMD.sleep(ti, ...)
	skynet.sleep(ti)
	return ...
end

function CMD.call(addr, ...)
	return skynet.call(addr, "lua", ...)
end

-- ret from a fork: the fork has no session
function CMD.ret_in_fork()
	local err
	local token = {}
	skynet.fork(function()
		local ok
		ok, err = pcall(skynet.retpack, "x")
		skynet.wakeup(token)
	end)
	skynet.wait(token)
	return tostring(err)
end

function CMD.hold_then_exit(name)
	held[name] = skynet.response()
	skynet.fork(skynet.exit)
	return NORET
end

function CMD.has(name)
	return held[name] ~= nil
end

-- start a call to addr in a fork; its outcome lands in notes[key]
function CMD.fork_call(key, addr, ...)
	local args = table.pack(...)
	skynet.fork(function()
		local r = table.pack(pcall(skynet.call, addr, "lua", table.unpack(args, 1, args.n)))
		notes[key] = r[1] and tostring(r[2]) or ("error: " .. tostring(r[2]))
	end)
	return true
end

function CMD.loaded(name)
	return package.loaded[name] ~= nil
end

function CMD.set_info()
	skynet.info_func(function(...)
		return "info", ...
	end)
	return true
end

function CMD.reg_hello()
	require("skynet.debug").reg_debugcmd("HELLO", function(who)
		skynet.retpack("hello " .. who)
	end)
	return true
end

function CMD.tracetag()
	return skynet.tracetag()
end

function CMD.trace_here(info)
	skynet.trace(info)
	return skynet.tracetag()
end

function CMD.note(name)
	return notes[name]
end

local current_source

function CMD.send_note(name, v)
	notes[name] = v
	notes[name .. "_src"] = current_source
end

function CMD.mark(text)
	skynet.error(text)
	return true
end

function CMD.self()
	return skynet.self()
end

skynet.start(function()
	skynet.dispatch("lua", function(session, source, cmd, ...)
		current_source = source
		local f = CMD[cmd]
		if not f then
			error("unknown command " .. tostring(cmd))
		end
		local r = table.pack(f(...))
		if r[1] ~= NORET and session ~= 0 then
			skynet.retpack(table.unpack(r, 1, r.n))
		end
	end)
end)
