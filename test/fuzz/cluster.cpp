// libFuzzer target: the cluster codec as clusteragent and clustersender use
// it. The input is a stream of gate frames (u16 big-endian length + body);
// each body is decoded as a request (parts reassembled as the agent does) and
// as a response (parts concatenated as the sender does).
#include "fuzz_lua.h"
#include "lua/modules.h"
#include "skynet_malloc.h"

namespace {

const char *driver = R"(
local c = require "skynet.cluster.core"
local function frames(data)
	local pos = 1
	return function()
		if pos + 1 > #data then return end
		local n = data:byte(pos) * 256 + data:byte(pos + 1)
		local body = data:sub(pos + 2, pos + 1 + n)
		pos = pos + 2 + n
		return body
	end
end
-- unpackrequest gives every msg as a fresh copy; assemble copies, never keeps
local function requests(data)
	local large = {}
	for body in frames(data) do
		local ok, addr, session, msg, sz, padding = pcall(c.unpackrequest, body)
		if ok and session and msg then
			local a = large[session]
			if padding or a then
				a = a or c.assembly()
				c.assemble(a, msg, sz)
				large[session] = a
				if not padding then
					large[session] = nil
					local m = c.assembled(a)
					if m then c.trash_for_fuzz(m) end
				end
			end
			c.trash_for_fuzz(msg)
		end
	end
end
local function responses(data)
	local parts = {}
	for body in frames(data) do
		local ok, session, rok, data, padding = pcall(c.unpackresponse, body)
		if ok and session and rok then
			if padding then
				local t = parts[session] or {}
				parts[session] = t
				c.append(t, nil, data) -- the total, then the parts' strings
			elseif parts[session] then
				local t = parts[session]
				parts[session] = nil
				c.append(t, nil, data)
				local m = c.concat(t)
				if m then c.trash_for_fuzz(m) end
			end
		end
	end
end
local function whole(data)
	local ok, _, _, msg = pcall(c.unpackrequest, data)
	if ok and type(msg) == "userdata" then c.trash_for_fuzz(msg) end
end
return function(data)
	whole(data)
	pcall(c.unpackresponse, data)
	pcall(requests, data)
	pcall(responses, data)
end
)";

// The assembled message is a skynet_malloc'd block the agent would hand on.
int trash(lua_State *L) {
    skynet_free(lua_touserdata(L, 1));
    return 0;
}

int open_cluster(lua_State *L) {
    luaopen_skynet_cluster_core(L);
    lua_pushcfunction(L, trash);
    lua_setfield(L, -2, "trash_for_fuzz");
    return 1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::run_driver("skynet.cluster.core", open_cluster, driver, data, size);
    return 0;
}
