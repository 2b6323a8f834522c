-- A node of the soak test (test/cluster/soak.sh). It serves "@soak" and runs
-- `soak_callers` callers, each doing cluster.send then cluster.call to every
-- other node in turn until the script says stop. Survivors then report:
-- every call returned the right answer or an error, none waited longer than
-- `soak_max_wait` seconds, and every send made while its peer stayed up
-- arrived.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local T = require "ctest"

local node = skynet.getenv "node_name"
local peers = {}
for name in (skynet.getenv "soak_nodes"):gmatch "%S+" do
	if name ~= node then
		peers[#peers + 1] = name
	end
end
local max_wait = tonumber(skynet.getenv "soak_max_wait") * 100
local pause = tonumber(skynet.getenv "soak_pause")

-- max: the longest call; max_failed: the longest of those that failed (their
-- peer died or was down): those must end within max_wait, the others only
-- must not hang (a loaded machine may delay an answer)
local stats = { ok = 0, errors = 0, wrong = {}, slow = {}, hung = {}, max = 0, max_failed = 0, sends = 0, lost = {} }
local running = true

local function timed_call(...)
	local t0 = skynet.now()
	local r = table.pack(pcall(cluster.call, ...))
	local dt = skynet.now() - t0
	if dt > stats.max then
		stats.max = dt
	end
	if not r[1] then
		stats.errors = stats.errors + 1
		if dt > stats.max_failed then
			stats.max_failed = dt
		end
		if dt > max_wait and #stats.slow < 5 then
			stats.slow[#stats.slow + 1] = string.format("%s failed after %.2f s: %s", (...), dt / 100, tostring(r[2]))
		end
	elseif dt > 5 * max_wait and #stats.hung < 5 then
		stats.hung[#stats.hung + 1] = string.format("%s answered after %.2f s", (...), dt / 100)
	end
	return table.unpack(r, 1, r.n)
end

local function note_wrong(text)
	if #stats.wrong < 5 then
		stats.wrong[#stats.wrong + 1] = text
	end
end

-- send, then ask the peer what it has seen: if the peer answered from the
-- same incarnation before and after the send, the send must have arrived.
local function check_send(peer, me, state)
	state.seq = state.seq + 1
	pcall(cluster.send, peer, "@soak", "note", me, state.seq)
	local ok, seen, inc = timed_call(peer, "@soak", "seen", me)
	if not ok then
		state.inc[peer] = nil
		return
	end
	stats.ok = stats.ok + 1
	if state.inc[peer] == inc then
		stats.sends = stats.sends + 1
		if seen ~= state.seq and #stats.lost < 5 then
			stats.lost[#stats.lost + 1] = string.format("%s: send %d to %s, it saw %s", me, state.seq, inc, tostring(seen))
		end
	end
	state.inc[peer] = inc
end

local function check_add(peer)
	local a, b = math.random(1, 1000000), math.random(1, 1000000)
	local ok, sum, who = timed_call(peer, "@soak", "add", a, b)
	if ok then
		stats.ok = stats.ok + 1
		if sum ~= a + b or who ~= peer then
			note_wrong(string.format("add(%d, %d) on %s gave %s from %s", a, b, peer, tostring(sum), tostring(who)))
		end
	end
end

local function caller(i)
	local me = node .. "." .. i
	local state = { seq = 0, inc = {} }
	while running do
		for _, peer in ipairs(peers) do
			check_send(peer, me, state)
			check_add(peer)
		end
		skynet.sleep(pause)
	end
end

local function report()
	T.case(string.format("%s: %d calls answered, %d failed with an error, none wrong", node, stats.ok, stats.errors), function()
		T.ok(stats.ok > 0, "some calls answered")
		T.ok(#stats.wrong == 0, table.concat(stats.wrong, "; "))
	end)
	T.case(string.format("%s: no call to a dead peer waited longer than %.2f s (longest %.2f s)", node, max_wait / 100, stats.max_failed / 100), function()
		T.ok(#stats.slow == 0, table.concat(stats.slow, "; "))
	end)
	T.case(string.format("%s: no call hung (longest %.2f s)", node, stats.max / 100), function()
		T.ok(#stats.hung == 0, table.concat(stats.hung, "; "))
	end)
	T.case(string.format("%s: %d sends to a peer that stayed up all arrived", node, stats.sends), function()
		T.ok(stats.sends > 0, "some sends checked")
		T.ok(#stats.lost == 0, table.concat(stats.lost, "; "))
	end)
end

skynet.start(function()
	local soak = skynet.newservice "csoakd"
	cluster.register("soak", soak)
	cluster.open(node)
	T.out("READY " .. node)
	T.step "go"	-- every node is listening
	for i = 1, tonumber(skynet.getenv "soak_callers") do
		skynet.fork(caller, i)
	end
	if skynet.getenv "soak_victim" then
		return
	end
	T.step("stop", (tonumber(skynet.getenv "soak_seconds") + 300) * 100)
	running = false
	skynet.sleep(300)	-- calls in flight finish (each is bounded)
	report()
	T.out(string.format("DONE %d passed, %d failed", T.passed, T.failed))
end)
