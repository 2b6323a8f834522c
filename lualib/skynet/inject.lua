-- Runs a piece of source inside a live service (debug RUN / console inject).
-- The code sees `print` captured into the output, `_U` = the upvalue tables
-- reachable from the given functions, and `_P[proto]` = the upvalue tables
-- reachable from each protocol's dispatch function.

local function collect_upvalues(into, func, seen)
	local i = 1
	while true do
		local name, value = debug.getupvalue(func, i)
		if name == nil then
			return
		end
		local t = type(value)
		if t == "table" then
			into[name] = value
		elseif t == "function" and not seen[value] then
			seen[value] = true
			collect_upvalues(into, value, seen)
		end
		i = i + 1
	end
end

return function(skynet, source, filename, args, ...)
	local chunkname = filename and ("@" .. filename) or "=(load)"
	local output = {}

	local function print(...)
		local n = select("#", ...)
		local line = {}
		for i = 1, n do
			line[i] = tostring((select(i, ...)))
		end
		output[#output + 1] = table.concat(line, "\t")
	end

	local u, seen = {}, {}
	for _, func in ipairs { ... } do
		collect_upvalues(u, func, seen)
	end
	local p = {}
	if u.proto then
		for _, class in pairs(u.proto) do
			local name, dispatch = class.name, class.dispatch
			if name and dispatch and not p[name] then
				local t = {}
				p[name] = t
				collect_upvalues(t, dispatch, seen)
			end
		end
	end

	local env = setmetatable({ print = print, _U = u, _P = p }, { __index = _G })
	local func, err = load(source, chunkname, "bt", env)
	if not func then
		return false, { err }
	end
	local ok, rerr = pcall(func, unpack(args, 1, args.n))
	if not ok then
		output[#output + 1] = tostring(rerr)
		return false, output
	end
	return true, output
end
