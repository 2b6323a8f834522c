-- skynet.trace: tags that follow a request through calls, and the trace log.
local skynet = require "skynet.manager"
local T = require "testlib"
local L = require "svc_skynetlib"

-- run fn in its own thread (trace tags belong to threads) and wait for it
local function in_thread(fn)
	local token = {}
	local r
	skynet.fork(function()
		r = table.pack(pcall(fn))
		skynet.wakeup(token)
	end)
	skynet.wait(token)
	if not r[1] then
		error(r[2], 0)
	end
	return table.unpack(r, 2, r.n)
end

local function sync(callee, text)
	skynet.call(callee, "lua", "mark", text)
	assert(L.log_find(text), "callee marker")
end

skynet.start(function()
	local callee = skynet.newservice "svc_skynet_callee"
	local me = skynet.address(skynet.self())

	T.case("no tag until trace() is called", function()
		T.eq(skynet.tracetag(), nil)
		T.eq(skynet.call(callee, "lua", "tracetag"), nil, "callee sees no tag")
	end)

	T.case("trace() sets a tag :self-N and logs it", function()
		local tag = in_thread(function()
			skynet.trace "first"
			return skynet.tracetag()
		end)
		T.eq(tag, me .. "-1")
		T.ok(L.log_find("[" .. me .. "] TRACE nil"), "old tag logged")
		T.ok(L.log_match("%[" .. L.escape(me) .. "%] <TRACE " .. L.escape(tag) .. "> %d+ trace first$"),
			"trace line")
	end)

	T.case("a traced call carries the tag to the callee, which logs its steps", function()
		local tag, seen = in_thread(function()
			skynet.trace()
			return skynet.tracetag(), skynet.call(callee, "lua", "tracetag")
		end)
		T.eq(seen, tag, "callee's tag")
		local t = L.escape(tag)
		T.ok(L.log_match("<TRACE " .. t .. "> %d+ trace$"), "trace")
		T.ok(L.log_match("<TRACE " .. t .. "> %d+ call : "), "call with the call site")
		T.ok(L.log_match("<TRACE " .. t .. "> %d+ resume$"), "resume")
		sync(callee, "trace-mark-1")
		local c = L.escape(skynet.address(callee))
		T.ok(L.log_match("%[" .. c .. "%] <TRACE " .. t .. "> %d+ request$"), "request")
		T.ok(L.log_match("%[" .. c .. "%] <TRACE " .. t .. "> %d+ response$"), "response")
		T.ok(L.log_match("%[" .. c .. "%] <TRACE " .. t .. "> %d+ end$"), "end")
	end)

	T.case("sleep in a traced thread is logged", function()
		local tag = in_thread(function()
			skynet.trace "sleeper"
			skynet.sleep(1)
			return skynet.tracetag()
		end)
		T.ok(L.log_match("<TRACE " .. L.escape(tag) .. "> %d+ sleep"), "sleep")
	end)

	T.case("traceproto true (TRACELOG): every request is traced by the callee", function()
		skynet.call(callee, "debug", "TRACELOG", "lua", true)
		local tag = skynet.call(callee, "lua", "tracetag")
		T.ok(tag and tag:match("^" .. L.escape(skynet.address(callee)) .. "%-%d+$"), "callee's own tag " .. tostring(tag))
		skynet.call(callee, "debug", "TRACELOG", "lua", nil)
		T.eq(skynet.call(callee, "lua", "tracetag"), nil, "back to optional")
	end)

	T.case("traceproto false: incoming tags are dropped and trace() is refused", function()
		skynet.call(callee, "debug", "TRACELOG", "lua", false)
		local seen, traced = in_thread(function()
			skynet.trace()
			return skynet.call(callee, "lua", "tracetag"), skynet.call(callee, "lua", "trace_here", "no")
		end)
		T.eq(seen, false, "forced off")
		T.eq(traced, false, "trace() is a no-op")
		sync(callee, "trace-mark-2")
		T.ok(L.log_find("[" .. skynet.address(callee) .. "] TRACE false"), "logged")
		skynet.call(callee, "debug", "TRACELOG", "lua", nil)
	end)

	T.case("tracecall sends an explicit tag", function()
		local msg, sz = skynet.tracecall("(ext)tag-1", callee, "lua", skynet.pack("tracetag"))
		T.eq(skynet.unpack(msg, sz), "(ext)tag-1")
		T.ok(L.log_match "<TRACE %(ext%)tag%-1> %d+ tracecall begin$", "begin")
		T.ok(L.log_match "<TRACE %(ext%)tag%-1> %d+ tracecall end$", "end")
	end)

	T.case("tracelog writes a line with a given tag", function()
		skynet.tracelog("manual-tag", "manual text")
		T.ok(L.log_match "<TRACE manual%-tag> %d+ manual text$", "line")
	end)

	T.done()
end)
