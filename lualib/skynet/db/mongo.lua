-- skynet.db.mongo: a MongoDB client over socketchannel, speaking OP_MSG.
--
--   local c = mongo.client { host = "127.0.0.1", port = 27017, username = ..., password = ... }
--   local coll = c.mydb.mycoll            -- client -> db -> collection by indexing
--   coll:safe_insert { name = "x" }       -- ok, err, reply
--   local cur = coll:find({ age = { ["$gt"] = 18 } }):sort({ age = 1 }):limit(10)
--   while cur:hasNext() do local doc = cur:next() end
--
-- Commands are bson.encode_order documents (the command name must come
-- first); replies are decoded tables. Cursor ids past 2^53 stay bson.int64
-- values (LuaJIT numbers are doubles), so a cursor is open while its id is
-- not the number 0.
local skynet = require "skynet"
local socketchannel = require "skynet.socketchannel"
local bson = require "bson"
local driver = require "skynet.mongo.driver"

local encode = bson.encode
local encode_order = bson.encode_order
local decode = bson.decode
local int64 = bson.int64
local unpack = table.unpack or unpack
local empty_document = encode {}

local mongo = {
	null = bson.null,
	maxkey = bson.maxkey,
	minkey = bson.minkey,
	type = bson.type,
}

local mongo_client = {}
local mongo_db = {}
local mongo_collection = {}
local mongo_cursor = {}
local aggregate_cursor = {}

local client_meta = {
	__index = function(self, key)
		return rawget(mongo_client, key) or self:getDB(key)
	end,
	__tostring = function(self)
		local port = self.port and (":" .. tostring(self.port)) or ""
		return "[mongo client : " .. self.host .. port .. "]"
	end,
}

local db_meta = {
	__index = function(self, key)
		return rawget(mongo_db, key) or self:getCollection(key)
	end,
	__tostring = function(self)
		return "[mongo db : " .. self.name .. "]"
	end,
}

local collection_meta = {
	__index = function(self, key)
		return rawget(mongo_collection, key) or self:getCollection(key)
	end,
	__tostring = function(self)
		return "[mongo collection : " .. self.full_name .. "]"
	end,
}

local cursor_meta = { __index = mongo_cursor }
local aggregate_cursor_meta = { __index = aggregate_cursor }

-- One reply: the length, then the message. The document is a pointer into
-- result.data, which the caller keeps alive until it is decoded.
local function read_reply(so)
	local length = driver.length(so:read(4))
	local message = so:read(length)
	local ok, response_to, document = driver.reply(message)
	return response_to, ok, { document = document, data = message }
end

local function parse_address(addr)
	local host, port = string.match(addr, "([^:]+):(.+)")
	return host, tonumber(port)
end

-- A cursor id is 0 (a number) once the server has no more.
local function cursor_open(id)
	return id ~= nil and id ~= 0
end

-- ok, err, reply of a write command.
local function write_result(r)
	local ok = r.ok == 1 and not r.writeErrors and not r.writeConcernError and not r.errmsg
	local err
	if not ok then
		if r.writeErrors then
			err = r.writeErrors[1].errmsg
		elseif r.writeConcernError then
			err = r.writeConcernError.errmsg
		else
			err = r.errmsg
		end
	end
	return ok, err, r
end

local function bulk_result(r)
	local ok, err = write_result(r)
	local failed
	if r.nErrors and r.nErrors ~= 0 and r.cursor then
		failed = {}
		local msgs = { err }
		for i, v in ipairs(r.cursor.firstBatch) do
			if v.ok ~= 1 then
				failed[#failed + 1] = i
				msgs[#msgs + 1] = v.errmsg
			end
		end
		err = table.concat(msgs, ";") .. ";"
	end
	return ok, err, r, failed
end

local auth_method = {}

-- socketchannel's auth hook: log in (when configured), then follow the
-- replica set to its primary.
local function login(client)
	local user = rawget(client, "username")
	local pass = rawget(client, "password")
	local method = "auth_" .. (rawget(client, "authmod") or "scram_sha1")
	local authdb = rawget(client, "authdb")
	return function()
		if user ~= nil and pass ~= nil then
			local auth = assert(auth_method[method], "Invalid authmod")
			local db = authdb and mongo_client.getDB(client, authdb) or client
			assert(auth(db, user, pass))
		end
		local r = client:runCommand("ismaster")
		if r.ok ~= 1 then
			return
		end
		if r.hosts then
			local backup = {}
			for _, v in ipairs(r.hosts) do
				local host, port = parse_address(v)
				backup[#backup + 1] = { host = host, port = port }
			end
			client.__sock:changebackup(backup)
		end
		if r.ismaster then
			return
		end
		if not r.primary then
			error("No primary return : " .. tostring(r.me))	-- try the next backup host
		end
		local host, port = parse_address(r.primary)
		client.host, client.port = host, port
		client.__sock:changehost(host, port)
	end
end

function mongo.client(conf)
	local first = conf.rs and conf.rs[1] or conf
	local client = {
		host = first.host,
		port = first.port or 27017,
		username = first.username,
		password = first.password,
		authmod = first.authmod,
		authdb = first.authdb,
		__id = 0,
	}
	client.__sock = socketchannel.channel {
		host = client.host,
		port = client.port,
		response = read_reply,
		auth = login(client),
		backup = conf.rs,
		nodelay = true,
		overload = conf.overload,
	}
	setmetatable(client, client_meta)
	client.__sock:connect(true)
	return client
end

function mongo_client:getDB(name)
	local db = {
		connection = self,
		name = name,
		full_name = name,
		database = false,
		__cmd = name .. ".$cmd",
	}
	db.database = db
	return setmetatable(db, db_meta)
end

function mongo_client:disconnect()
	local so = self.__sock
	if so then
		self.__sock = false
		so:close()
	end
end

-- Request ids are positive int32 (upstream issue 2155).
function mongo_client:genId()
	local id = self.__id % 0x7fffffff + 1
	self.__id = id
	return id
end

function mongo_client:runCommand(...)
	if not rawget(self, "admin") then
		self.admin = self:getDB("admin")
	end
	return self.admin:runCommand(...)
end

function mongo_client:logout()
	return self:runCommand("logout").ok == 1
end

-- key, value appended to list when value is given (tables become documents).
local function option(list, key, value)
	if value ~= nil then
		list[#list + 1] = key
		list[#list + 1] = type(value) == "table" and encode(value) or value
	end
end

local bulk_op = {}

function bulk_op.insert(ns, op)
	return encode_order("insert", ns, "document", encode(op.insert))
end

function bulk_op.delete(ns, op)
	local args = { "delete", ns, "filter", encode(op.filter), "multi", op.multi or false }
	option(args, "hit", op.hit)
	option(args, "collation", op.collation)
	return encode_order(unpack(args))
end

function bulk_op.update(ns, op)
	local args = { "update", ns, "filter", encode(op.filter), "updateMods", encode(op.update),
		"multi", op.multi or false, "upsert", op.upsert or false }
	option(args, "hit", op.hit)
	option(args, "constants", op.constants)
	option(args, "collation", op.collation)
	return encode_order(unpack(args))
end

-- The bulkWrite admin command (MongoDB 8.0): ops are
-- { op = "insert"|"update"|"delete", collection = "db.coll", ... }.
function mongo_client:bulkWrite(ops, comment, ordered, bypass_validation, errors_only)
	local encoded, ns_info, ns_index = {}, {}, {}
	for i, op in ipairs(ops) do
		local ns = op.collection
		if not ns_index[ns] then
			ns_index[ns] = #ns_info	-- zero-based
			ns_info[#ns_info + 1] = encode { ns = ns }
		end
		local make = assert(bulk_op[op.op], op.op)
		encoded[i] = make(ns_index[ns], op)
	end
	local args = { "bulkWrite", 1, "ops", encoded, "nsInfo", ns_info }
	option(args, "ordered", ordered)
	option(args, "bypassDocumentValidation", bypass_validation)
	option(args, "comment", comment)
	option(args, "errorsOnly", errors_only)
	return bulk_result(self:runCommand(unpack(args)))
end

-- MONGODB-CR (servers before 3.0).
function auth_method:auth_mongodb_cr(user, password)
	local md5 = require "md5"
	local digest = md5.sumhexa(string.format("%s:mongo:%s", user, password))
	local r = self:runCommand("getnonce")
	if r.ok ~= 1 then
		return false
	end
	local key = md5.sumhexa(string.format("%s%s%s", r.nonce, user, digest))
	r = self:runCommand("authenticate", 1, "user", user, "nonce", r.nonce, "key", key)
	return r.ok == 1
end

-- PBKDF2 with HMAC-SHA1, one block.
local function salted_password(crypt, password, salt, iterations)
	local u = crypt.hmac_sha1(password, salt .. "\0\0\0\1")
	local result = u
	for _ = 2, iterations do
		u = crypt.hmac_sha1(password, u)
		result = crypt.xor_str(result, u)
	end
	return result
end

local function sasl_fields(payload)
	local t = {}
	for k, v in string.gmatch(payload, "(%w+)=([^,]*)") do
		t[k] = v
	end
	return t
end

-- SCRAM-SHA-1 (RFC 5802), the password being MongoDB's md5 digest.
function auth_method:auth_scram_sha1(username, password)
	local crypt = require "skynet.crypt"
	local md5 = require "md5"
	local user = username:gsub("=", "=3D"):gsub(",", "=2C")
	local nonce = crypt.base64encode(crypt.randomkey())
	local first_bare = "n=" .. user .. ",r=" .. nonce
	local r = self:runCommand("saslStart", 1, "autoAuthorize", 1, "mechanism", "SCRAM-SHA-1",
		"payload", crypt.base64encode("n,," .. first_bare))
	if r.ok ~= 1 then
		return false
	end
	local conversation = r.conversationId
	local server_first = crypt.base64decode(r.payload)
	local fields = sasl_fields(server_first)
	local server_nonce = fields.r
	if string.sub(server_nonce, 1, #nonce) ~= nonce then
		skynet.error("Server returned an invalid nonce.")
		return false
	end
	local without_proof = "c=biws,r=" .. server_nonce
	local digest = md5.sumhexa(string.format("%s:mongo:%s", username, password))
	local salted = salted_password(crypt, digest, crypt.base64decode(fields.s), tonumber(fields.i))
	local client_key = crypt.hmac_sha1(salted, "Client Key")
	local auth_message = first_bare .. "," .. server_first .. "," .. without_proof
	local signature = crypt.hmac_sha1(crypt.sha1(client_key), auth_message)
	local proof = "p=" .. crypt.base64encode(crypt.xor_str(client_key, signature))
	local server_signature = crypt.base64encode(
		crypt.hmac_sha1(crypt.hmac_sha1(salted, "Server Key"), auth_message))

	r = self:runCommand("saslContinue", 1, "conversationId", conversation,
		"payload", crypt.base64encode(without_proof .. "," .. proof))
	if r.ok ~= 1 then
		return false
	end
	if sasl_fields(crypt.base64decode(r.payload)).v ~= server_signature then
		skynet.error("Server returned an invalid signature.")
		return false
	end
	if not r.done then
		r = self:runCommand("saslContinue", 1, "conversationId", conversation, "payload", "")
		if r.ok ~= 1 then
			return false
		end
		if not r.done then
			skynet.error("SASL conversation failed to complete.")
			return false
		end
	end
	return true
end

function mongo_db:auth(user, pass)
	local method = "auth_" .. (rawget(self.connection, "authmod") or "scram_sha1")
	local auth = assert(auth_method[method], "Invalid authmod")
	return auth(self, user, pass)
end

function mongo_db:runCommand(cmd, cmd_v, ...)
	local conn = self.connection
	local id = conn:genId()
	local doc
	if cmd_v then
		doc = encode_order(cmd, cmd_v, "$db", self.name, ...)
	else
		doc = encode_order(cmd, 1, "$db", self.name)
	end
	-- reply.data holds the bytes reply.document points into
	local reply = conn.__sock:request(driver.op_msg(id, 0, doc), id)
	return decode(reply.document)
end

-- Fire and forget (moreToCome, w = 0): no reply, a fake {ok = 1}.
function mongo_db:send_command(cmd, cmd_v, ...)
	local conn = self.connection
	local id = conn:genId()
	local no_ack = { w = 0 }
	local doc
	if cmd_v then
		doc = encode_order(cmd, cmd_v, "$db", self.name, "writeConcern", no_ack, ...)
	else
		doc = encode_order(cmd, 1, "$db", self.name, "writeConcern", no_ack)
	end
	conn.__sock:request(driver.op_msg(id, 2, doc))
	return { ok = 1 }
end

function mongo_db:getCollection(name)
	local coll = {
		connection = self.connection,
		name = name,
		full_name = self.full_name .. "." .. name,
		database = self.database,
	}
	self[name] = setmetatable(coll, collection_meta)
	return coll
end

mongo_collection.getCollection = mongo_db.getCollection

local function with_id(doc)
	if doc._id == nil then
		doc._id = bson.objectid()
	end
	return encode(doc)
end

local function encode_all(docs)
	for i = 1, #docs do
		docs[i] = with_id(docs[i])
	end
	return docs
end

local function update_statement(query, update, upsert, multi)
	return encode { q = query, u = update, upsert = upsert, multi = multi }
end

local function delete_statement(query, single)
	return encode { q = query, limit = single and 1 or 0 }
end

function mongo_collection:insert(doc)
	self.database:send_command("insert", self.name, "documents", { with_id(doc) })
end

function mongo_collection:safe_insert(doc)
	return write_result(self.database:runCommand("insert", self.name, "documents", { encode(doc) }))
end

function mongo_collection:raw_safe_insert(doc)
	return write_result(self.database:runCommand("insert", self.name, "documents", { doc }))
end

function mongo_collection:batch_insert(docs)
	self.database:send_command("insert", self.name, "documents", encode_all(docs))
end
mongo_collection.insert_many = mongo_collection.batch_insert

function mongo_collection:safe_batch_insert(docs)
	return write_result(self.database:runCommand("insert", self.name, "documents", encode_all(docs)))
end
mongo_collection.safe_insert_many = mongo_collection.safe_batch_insert

function mongo_collection:update(query, update, upsert, multi)
	self.database:send_command("update", self.name, "updates",
		{ update_statement(query, update, upsert, multi) })
end

function mongo_collection:safe_update(query, update, upsert, multi)
	return write_result(self.database:runCommand("update", self.name, "updates",
		{ update_statement(query, update, upsert, multi) }))
end

local function update_statements(updates)
	local list = {}
	for i, u in ipairs(updates) do
		list[i] = update_statement(u.query, u.update, u.upsert, u.multi)
	end
	return list
end

function mongo_collection:batch_update(updates)
	self.database:send_command("update", self.name, "updates", update_statements(updates))
end

function mongo_collection:safe_batch_update(updates)
	return write_result(self.database:runCommand("update", self.name, "updates", update_statements(updates)))
end

function mongo_collection:raw_safe_update(update)
	return write_result(self.database:runCommand("update", self.name, "updates", { update }))
end

function mongo_collection:delete(query, single)
	self.database:send_command("delete", self.name, "deletes", { delete_statement(query, single) })
end

function mongo_collection:safe_delete(query, single)
	return write_result(self.database:runCommand("delete", self.name, "deletes",
		{ delete_statement(query, single) }))
end

function mongo_collection:safe_batch_delete(queries, single)
	local list = {}
	for i, q in ipairs(queries) do
		list[i] = delete_statement(q, single)
	end
	return write_result(self.database:runCommand("delete", self.name, "deletes", list))
end

function mongo_collection:raw_safe_delete(delete)
	return write_result(self.database:runCommand("delete", self.name, "deletes", { delete }))
end

function mongo_collection:findOne(query, projection)
	local r = self.database:runCommand("find", self.name,
		"filter", query and encode(query) or empty_document, "limit", 1,
		"projection", projection and encode(projection) or empty_document)
	if r.ok ~= 1 then
		error(r.errmsg or "Reply from mongod error")
	end
	return r.cursor.firstBatch[1]
end

function mongo_collection:find(query, projection)
	return setmetatable({
		__collection = self,
		__query = query and encode(query) or empty_document,
		__projection = projection and encode(projection) or empty_document,
		__document = {},
		__sort = empty_document,
	}, cursor_meta)
end

-- Indexes: createIndex({ {key1 = 1}, {key2 = -1}, unique = true }), the same
-- with key names ("key1"), or the old createIndex({key = 1}, {unique = true}).
local function index_model(spec)
	local doc = {}
	for k, v in pairs(spec) do
		if type(k) == "string" then
			doc[k] = v
		end
	end
	local keys, names = {}, {}
	for _, kv in ipairs(spec) do
		local k, v
		if type(kv) == "string" then
			k, v = kv, 1
		else
			k, v = next(kv)
		end
		keys[#keys + 1] = k
		keys[#keys + 1] = v
		names[#names + 1] = k .. "_" .. tostring(v)
	end
	assert(#keys > 0, "Need keys")
	doc.name = doc.name or table.concat(names, "_")
	doc.key = encode_order(unpack(keys))
	return doc
end

local function single_key_index(key, options)
	local doc = {}
	for k, v in pairs(options) do
		doc[k] = v
	end
	local k, v = next(key)
	assert(next(key, k) == nil, "Use new api for multi-keys")
	doc.name = doc.name or (k .. "_" .. tostring(v))
	doc.key = key
	return doc
end

function mongo_collection:createIndex(spec, options)
	local model = options and single_key_index(spec, options) or index_model(spec)
	return self.database:runCommand("createIndexes", self.name, "indexes", { model })
end
mongo_collection.ensureIndex = mongo_collection.createIndex

function mongo_collection:createIndexes(...)
	local models = { ... }
	for i, spec in ipairs(models) do
		models[i] = index_model(spec)
	end
	return self.database:runCommand("createIndexes", self.name, "indexes", models)
end

function mongo_collection:drop()
	return self.database:runCommand("drop", self.name)
end

-- dropIndex("age_1"), or dropIndex("*") for all but _id's
function mongo_collection:dropIndex(name)
	return self.database:runCommand("dropIndexes", self.name, "index", name)
end

-- findAndModify { query = ..., update = ... | remove = true, new, fields, upsert, sort }
function mongo_collection:findAndModify(doc)
	assert(doc.query)
	assert(doc.update or doc.remove)
	local cmd = { "findAndModify", self.name }
	for k, v in pairs(doc) do
		cmd[#cmd + 1] = k
		cmd[#cmd + 1] = v
	end
	return self.database:runCommand(unpack(cmd))
end

-- aggregate({ { ["$match"] = ... }, ... }, { cursor = {}, ... })
function mongo_collection:aggregate(pipeline, options)
	assert(pipeline)
	local opts
	if options then
		opts = {}
		for k, v in pairs(options) do
			opts[#opts + 1] = k
			opts[#opts + 1] = v
		end
	end
	local stages = {}
	for i = 1, #pipeline do
		stages[i] = pipeline[i]
	end
	return setmetatable({
		__collection = self,
		__pipeline = stages,
		__options = opts,
		__document = {},
		__skip = 0,
		__limit = 0,
	}, aggregate_cursor_meta)
end

-- Flattens { k1 = v1 }, { k2 = v2 }, ... into k1, v1, k2, v2, ...
local function sort_keys(list, key, ...)
	if key == nil then
		return list
	end
	local k, v = next(key)
	list[#list + 1] = k
	list[#list + 1] = v
	return sort_keys(list, ...)
end

-- sort { key = 1 }, or sort({ key1 = 1 }, { key2 = -1 }) for an order
function mongo_cursor:sort(key, key2, ...)
	if key2 then
		key = encode_order(unpack(sort_keys({}, key, key2, ...)))
	end
	self.__sort = key
	return self
end

function mongo_cursor:skip(n)
	self.__skip = n
	return self
end

function mongo_cursor:limit(n)
	self.__limit = n
	return self
end

function mongo_cursor:hint(index)
	self.__hint = index
	return self
end

function mongo_cursor:maxTimeMS(ms)
	self.__maxTimeMS = ms
	return self
end

function mongo_cursor:batchSize(n)
	self.__batchSize = n
	return self
end

-- The command arguments name, value for each option the cursor has set.
local function cursor_options(self, list, ...)
	for i = 1, select("#", ...) do
		local name = select(i, ...)
		local v = self["__" .. name]
		if v ~= nil then
			list[#list + 1] = name
			list[#list + 1] = v
		end
	end
	return list
end

function mongo_cursor:count(with_limit_and_skip)
	local coll = self.__collection
	local args = { "count", coll.name, "query", self.__query }
	if with_limit_and_skip then
		cursor_options(self, args, "skip", "limit", "hint", "maxTimeMS")
	else
		cursor_options(self, args, "hint", "maxTimeMS")
	end
	local r = coll.database:runCommand(unpack(args))
	assert(r.ok == 1, r.errmsg)
	return r.n
end

local function more_command(self)
	local name = self.__collection.name
	local size = self.__batchSize
	if size and size > 0 then
		return "getMore", int64(self.__cursor), "collection", name, "batchSize", size
	end
	return "getMore", int64(self.__cursor), "collection", name
end

-- Takes a find/aggregate/getMore reply: the next batch. True while the
-- batch has documents.
local function take_batch(self, r)
	if r.ok ~= 1 then
		self.__document = nil
		self.__data = nil
		self.__cursor = nil
		error(r.errmsg or "Reply from mongod error")
	end
	local cursor = r.cursor
	self.__document = cursor.firstBatch or cursor.nextBatch
	self.__data = r
	self.__ptr = 1
	self.__cursor = cursor.id
	local limit = self.__limit
	if limit and limit > 0 and cursor_open(cursor.id) then
		limit = limit - #self.__document
		if limit <= 0 then
			self:close()	-- reached the limit: the server may forget the cursor
		end
		self.__limit = limit
	end
	if not cursor_open(cursor.id) and #self.__document == 0 then
		self.__ptr = nil
		return false
	end
	return true
end

-- Shared by both cursor kinds: first runs `first`, then getMore.
local function has_next(self, first)
	if self.__ptr ~= nil then
		return true
	end
	if self.__document == nil then
		return false
	end
	local db = self.__collection.database
	local r
	if self.__data == nil then
		r = db:runCommand(first(self))
	elseif cursor_open(self.__cursor) then
		r = db:runCommand(more_command(self))
	else
		self.__document = nil
		self.__data = nil
		return false
	end
	return take_batch(self, r)
end

local function find_command(self)
	local args = { "find", self.__collection.name, "filter", self.__query, "sort", self.__sort,
		"projection", self.__projection }
	return unpack(cursor_options(self, args, "skip", "limit", "hint", "maxTimeMS", "batchSize"))
end

function mongo_cursor:hasNext()
	return has_next(self, find_command)
end

function mongo_cursor:next()
	local ptr = self.__ptr
	if ptr == nil then
		error "Call hasNext first"
	end
	local doc = self.__document[ptr]
	ptr = ptr + 1
	self.__ptr = ptr <= #self.__document and ptr or nil
	return doc
end

function mongo_cursor:close()
	if cursor_open(self.__cursor) then
		local coll = self.__collection
		coll.database:send_command("killCursors", coll.name, "cursors", { int64(self.__cursor) })
		self.__cursor = nil
	end
end

-- The pipeline with the cursor's sort/skip/limit stages (and $count) added.
local function pipeline(self, with_limit_and_skip, counting)
	local stages = {}
	for i, stage in ipairs(self.__pipeline) do
		stages[i] = stage
	end
	if self.__sort and not counting then
		stages[#stages + 1] = { ["$sort"] = self.__sort }
	end
	if with_limit_and_skip then
		if self.__skip > 0 then
			stages[#stages + 1] = { ["$skip"] = self.__skip }
		end
		if self.__limit > 0 then
			stages[#stages + 1] = { ["$limit"] = self.__limit }
		end
	end
	if counting then
		stages[#stages + 1] = { ["$count"] = "__count" }
	end
	return stages
end

local function aggregate_command(self, with_limit_and_skip, counting)
	local args = { "aggregate", self.__collection.name, "pipeline",
		pipeline(self, with_limit_and_skip, counting) }
	if self.__options then
		for _, v in ipairs(self.__options) do
			args[#args + 1] = v
		end
	else
		args[#args + 1] = "cursor"
		args[#args + 1] = empty_document
	end
	return unpack(args)
end

function aggregate_cursor:count(with_limit_and_skip)
	local r = self.__collection.database:runCommand(aggregate_command(self, with_limit_and_skip, true))
	if r.ok ~= 1 then
		error(r.errmsg or "Reply from mongod error")
	end
	local first = r.cursor.firstBatch[1]
	return first and first.__count or 0
end

function aggregate_cursor:hasNext()
	return has_next(self, function(cursor)
		return aggregate_command(cursor, true, false)
	end)
end

aggregate_cursor.sort = mongo_cursor.sort
aggregate_cursor.skip = mongo_cursor.skip
aggregate_cursor.limit = mongo_cursor.limit
aggregate_cursor.next = mongo_cursor.next
aggregate_cursor.close = mongo_cursor.close

-- Optional parts: mongo.enable "transaction" adds mongo_db:run_transaction.
local enabled = {}
function mongo.enable(name)
	if enabled[name] then
		return
	end
	enabled[name] = true
	require("skynet.db.mongo." .. name).init { mongo_db = mongo_db }
end

return mongo
