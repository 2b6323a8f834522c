-- Multi-document transactions for skynet.db.mongo (needs a replica set or
-- mongos on the server side). Enable once, then:
--
--   mongo.enable "transaction"
--   local err = db:run_transaction(function()
--       db.accounts:safe_update({ _id = 1 }, { ["$inc"] = { gold = -10 } })
--       db.accounts:safe_update({ _id = 2 }, { ["$inc"] = { gold = 10 } })
--   end)                                  -- nil when committed, else the error
--
-- Every command the function's coroutine runs (runCommand and send_command)
-- carries the session id and transaction number; the first also carries
-- startTransaction. An error in the function aborts the transaction.
local bson = require "bson"
local driver = require "skynet.mongo.driver"

local encode = bson.encode
local encode_order = bson.encode_order
local int64 = bson.int64
local unpack = table.unpack or unpack

local M = {}

local function write_error(r)
	if r.ok == 1 and not r.writeErrors and not r.writeConcernError and not r.errmsg then
		return nil
	end
	if r.writeErrors then
		return r.writeErrors[1].errmsg
	elseif r.writeConcernError then
		return r.writeConcernError.errmsg
	end
	return r.errmsg or "transaction failed"
end

function M.init(depend)
	local mongo_db = assert(depend.mongo_db)
	local running = {}	-- coroutine -> its transaction
	local last_number = 0

	local function next_number()
		last_number = last_number % 9999999 + 1
		return last_number
	end

	-- The arguments a command of the current transaction carries (nil when
	-- the coroutine runs none); startTransaction only the first time.
	local function transaction_args()
		local t = running[coroutine.running()]
		if not t then
			return nil
		end
		local args = { "lsid", t.lsid, "txnNumber", t.number, "autocommit", false }
		if not t.started then
			t.started = true
			args[#args + 1] = "startTransaction"
			args[#args + 1] = true
		end
		return args
	end

	local function append(list, extra)
		for _, v in ipairs(extra) do
			list[#list + 1] = v
		end
		return list
	end

	function mongo_db:startSession_()
		return self:runCommand("startSession")	-- the server makes the id
	end

	function mongo_db:endSessions_(session_id)
		return self:runCommand("endSessions", { encode(session_id) })
	end

	-- commit/abort only run against admin: through the client
	local function finish(self, cmd)
		local ok, r = pcall(self.connection.runCommand, self.connection, cmd)
		if not ok then
			r = { errmsg = r }
		end
		return r
	end

	function mongo_db:commit_transaction_()
		return finish(self, "commitTransaction")
	end

	function mongo_db:abort_transaction_()
		return finish(self, "abortTransaction")
	end

	function mongo_db:run_transaction(fn)
		local session = self:startSession_()
		local co = coroutine.running()
		running[co] = { lsid = encode(session.id), number = int64(next_number()) }
		local ok, err = xpcall(fn, debug.traceback)
		local r
		if ok then
			r = self:commit_transaction_()
		else
			r = self:abort_transaction_()
		end
		running[co] = nil
		self:endSessions_(session.id)
		if ok then
			err = write_error(r)
		end
		return err
	end

	local plain_run = mongo_db.runCommand
	local plain_send = mongo_db.send_command

	function mongo_db:runCommand(cmd, cmd_v, ...)
		local extra = transaction_args()
		if not extra then
			return plain_run(self, cmd, cmd_v, ...)
		end
		return plain_run(self, cmd, cmd_v or 1, unpack(append({ ... }, extra)))
	end

	-- Inside a transaction a write concern is not allowed: send without one.
	function mongo_db:send_command(cmd, cmd_v, ...)
		local extra = transaction_args()
		if not extra then
			return plain_send(self, cmd, cmd_v, ...)
		end
		local conn = self.connection
		local id = conn:genId()
		local doc = encode_order(cmd, cmd_v or 1, "$db", self.name, unpack(append({ ... }, extra)))
		conn.__sock:request(driver.op_msg(id, 2, doc))
		return { ok = 1 }
	end
end

return M
