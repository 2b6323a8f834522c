-- Run by snlua with the launch string ("name arg1 arg2 ...") as its only
-- argument: finds the service file on LUA_SERVICE, sets up the service's
-- globals and package paths, then runs the service's main chunk.

local args = {}
for word in string.gmatch((...) or "", "%S+") do
	args[#args + 1] = word
end

SERVICE_NAME = args[1]
if not SERVICE_NAME then
	error "loader: empty service name"
end

local main, pattern
local tried = {}
local name_repl = SERVICE_NAME:gsub("%%", "%%%%")
for pat in string.gmatch(LUA_SERVICE or "", "[^;]+") do
	local filename = pat:gsub("%?", name_repl)
	local f, err = loadfile(filename)
	if f then
		main, pattern = f, pat
		break
	end
	tried[#tried + 1] = err
end

if not main then
	error(table.concat(tried, "\n"))
end

LUA_SERVICE = nil
package.path, LUA_PATH = LUA_PATH or package.path, nil
package.cpath, LUA_CPATH = LUA_CPATH or package.cpath, nil

-- A pattern like "test/?/init.lua" makes the service a directory: its other
-- files become requirable. (Anchored: unanchored, a failing match retries
-- from every position.)
local dir = pattern:match "^(.*/)[^/?]+$"
if dir then
	dir = dir:gsub("%?", name_repl)
	package.path = dir .. "?.lua;" .. package.path
	SERVICE_PATH = dir
else
	SERVICE_PATH = pattern:match "^(.*/).+$"
end

if LUA_PRELOAD then
	local preload = assert(loadfile(LUA_PRELOAD))
	preload(unpack(args))
	LUA_PRELOAD = nil
end

_G.require = (require "skynet.require").require

main(select(2, unpack(args)))
