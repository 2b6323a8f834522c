-- The start service of the shared-data demo (examples/share/config).
local skynet = require "skynet"
require "skynet.manager"
local sharedata = require "skynet.sharedata"
local sharetable = require "skynet.sharetable"
local builder = require "skynet.datasheet.builder"
local snax = require "skynet.snax"

skynet.start(function()
	-- sharedata: one native copy, proxies everywhere, updates pushed to readers
	sharedata.new("items", {
		sword = { price = 100, tags = { "sharp", "iron" } },
		shield = { price = 80, tags = { "wood" } },
	})
	local reader = skynet.newservice("share_reader")
	skynet.call(reader, "lua", "show", "before update")
	sharedata.update("items", {
		sword = { price = 120, tags = { "sharp", "steel" } },
		shield = { price = 80, tags = { "wood" } },
		bow = { price = 60, tags = {} },
	})
	skynet.call(reader, "lua", "show", "after update")

	-- sharetable: loaded once, queried by name; update() moves this service's
	-- references to the newest version
	sharetable.loadtable("levels", { 100, 300, 700 })
	local levels = sharetable.query "levels"
	skynet.error("levels: " .. table.concat({ levels[1], levels[2], levels[3] }, ","))
	sharetable.loadtable("levels", { 150, 400, 900, 2000 })
	sharetable.update "levels"
	skynet.error(string.format("levels after update: %d entries, last %d", #levels, levels[#levels]))

	-- datasheet: readers follow every update by themselves
	builder.new("monsters", { slime = { hp = 10 }, dragon = { hp = 5000 } })
	skynet.call(reader, "lua", "sheet", "monsters")

	-- snax: a service made of accept.* and response.* functions
	local counter = snax.newservice("share_counter", 10)
	counter.post.add(5)
	skynet.error("snax counter: " .. counter.req.get())
	snax.kill(counter, "demo over")

	skynet.error("demo done")
	skynet.sleep(10)	-- let the logger write the last lines
	skynet.abort()
end)
