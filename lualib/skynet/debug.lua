-- The "debug" protocol commands. skynet.lua registers the protocol with a
-- stub and loads this file on the first debug message.

local extern_dbgcmd = {}

local function make_commands(skynet, export)
	local cmd = {}

	function cmd.MEM()
		skynet.ret(skynet.pack(collectgarbage "count"))
	end

	local collecting = false
	function cmd.GC()
		if collecting then
			return
		end
		collecting = true
		local before, t0 = collectgarbage "count", skynet.now()
		collectgarbage "collect"
		skynet.yield()	-- let GC requests queued meanwhile find us busy
		local after, t1 = collectgarbage "count", skynet.now()
		skynet.error(string.format("GC %.2f Kb -> %.2f Kb, cost %.2f sec",
			before, after, (t1 - t0) / 100))
		collecting = false
	end

	function cmd.STAT()
		skynet.ret(skynet.pack {
			task = skynet.task(),
			mqlen = skynet.stat "mqlen",
			cpu = skynet.stat "cpu",
			message = skynet.stat "message",
		})
	end

	function cmd.KILLTASK(name)
		local co = skynet.killthread(name)
		if co then
			skynet.error(string.format("Kill %s", co))
			skynet.ret()
		else
			skynet.error(string.format("Kill %s : Not found", name))
			skynet.ret(skynet.pack "Not found")
		end
	end

	function cmd.TASK(session)
		if session then
			skynet.ret(skynet.pack(skynet.task(session)))
		else
			local tasks = {}
			skynet.task(tasks)
			skynet.ret(skynet.pack(tasks))
		end
	end

	function cmd.UNIQTASK()
		skynet.ret(skynet.pack(skynet.uniqtask()))
	end

	function cmd.INFO(...)
		local info = export.info
		if info then
			skynet.ret(skynet.pack(info(...)))
		else
			skynet.ret(skynet.pack(nil))
		end
	end

	function cmd.EXIT()
		skynet.exit()
	end

	function cmd.RUN(source, filename, ...)
		local inject = require "skynet.inject"
		local args = table.pack(...)
		local ok, output = inject(skynet, source, filename, args,
			export.dispatch, skynet.register_protocol)
		collectgarbage "collect"
		skynet.ret(skynet.pack(ok, table.concat(output, "\n")))
	end

	function cmd.TERM(service)
		skynet.term(service)
	end

	function cmd.REMOTEDEBUG(...)
		require("skynet.remotedebug").start(export, ...)
	end

	function cmd.SUPPORT(pname)
		return skynet.ret(skynet.pack(skynet.dispatch(pname) ~= nil))
	end

	function cmd.PING()
		return skynet.ret()
	end

	function cmd.LINK()
		-- never answered: the caller learns of our exit through the error
		skynet.response()
	end

	function cmd.TRACELOG(proto, flag)
		if type(proto) ~= "string" then
			flag, proto = proto, "lua"
		end
		skynet.error(string.format("Turn trace log %s for %s", flag, proto))
		skynet.traceproto(proto, flag)
		skynet.ret()
	end

	return cmd
end

local installed = false

local function init(skynet, export)
	if installed then
		return
	end
	installed = true
	local cmd = make_commands(skynet, export)
	skynet.dispatch("debug", function(_, _, name, ...)
		local f = cmd[name] or extern_dbgcmd[name]
		assert(f, name)
		return f(...)
	end)
end

local function reg_debugcmd(name, fn)
	extern_dbgcmd[name] = fn
end

return {
	init = init,
	reg_debugcmd = reg_debugcmd,
}
