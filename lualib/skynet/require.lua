-- A require that works inside skynet threads, in two steps:
-- 1. run the module body (it may block, e.g. call another service);
-- 2. run the functions the body registered with skynet.init.
-- Modules required from the main chunk defer step 2 until skynet.start.
-- Several threads requiring the same module at once load it only once; the
-- later ones wait for the first.

local M = {}

local mainthread, ismain = coroutine.running()
assert(ismain, "skynet.require must initialize in main thread")

local raw_require = require
local loaded = package.loaded
local searchpath = package.searchpath
local xpcall = xpcall
local traceback = debug.traceback

-- thread -> init functions collected while it loads a module
local init_list = { [mainthread] = {} }
-- module name -> { co = loader, waiting threads... }
local loading = {}

local function wait_for(name, co, queue)
	assert(queue.co ~= co, "circular dependency")
	local skynet = raw_require "skynet"
	queue[#queue + 1] = co
	skynet.wait(co)
	local m = loaded[name]
	if m == nil then
		error(string.format("require %s failed", name))
	end
	return m
end

local function load_in_thread(name, co, filename, modfunc)
	local queue = { co = co }
	loading[name] = queue
	local outer = init_list[co]
	local inits = {}
	init_list[co] = inits

	local ok, err = xpcall(function()
		local m = modfunc(name, filename)
		for i = 1, #inits do
			inits[i]()
		end
		if m == nil then
			m = loaded[name]	-- the body may have set package.loaded itself
			if m == nil then
				m = true
			end
		end
		loaded[name] = m
	end, traceback)

	init_list[co] = outer
	loading[name] = nil
	if #queue > 0 then
		local skynet = raw_require "skynet"
		for i = 1, #queue do
			skynet.wakeup(queue[i])
		end
	end
	if not ok then
		error(err, 0)
	end
	return loaded[name]
end

function M.require(name)
	local m = loaded[name]
	if m ~= nil then
		return m
	end
	local co, main = coroutine.running()
	if main or package.preload[name] then
		return raw_require(name)
	end
	local filename = searchpath(name, package.path)
	if not filename then
		return raw_require(name)	-- preloaded or C module: nothing can block
	end
	local modfunc = loadfile(filename)
	if not modfunc then
		return raw_require(name)	-- let require report the error
	end
	local queue = loading[name]
	if queue then
		return wait_for(name, co, queue)
	end
	return load_in_thread(name, co, filename, modfunc)
end

function M.init_all()
	local inits = init_list[mainthread]
	init_list[mainthread] = nil
	if inits then
		for i = 1, #inits do
			inits[i]()
		end
	end
end

function M.init(f)
	assert(type(f) == "function")
	local inits = init_list[coroutine.running()]
	if inits then
		inits[#inits + 1] = f
	else
		f()	-- nothing to defer to: the service is already running
	end
end

return M
