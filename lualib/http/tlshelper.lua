-- TLS over a skynet socket for the http library: the socket carries
-- ciphertext, an ltls.c connection turns it into plaintext and back.
local socket = require "http.sockethelper"
local c = require "ltls.c"

local tlshelper = {}

-- The client handshake: hello out, then exchange until finished.
function tlshelper.init_requestfunc(fd, tls_ctx)
	local read = socket.readfunc(fd)
	local write = socket.writefunc(fd)
	return function(servername)
		if servername then
			tls_ctx:set_ext_host_name(servername)
		end
		local out = tls_ctx:handshake()
		if out then
			write(out)
		end
		while not tls_ctx:finished() do
			out = tls_ctx:handshake(read())
			if out then
				write(out)
			end
		end
	end
end

-- The server handshake: wait for the hello, exchange until finished, then
-- flush what follows it (TLS 1.3 session tickets).
function tlshelper.init_responsefunc(fd, tls_ctx)
	local read = socket.readfunc(fd)
	local write = socket.writefunc(fd)
	return function()
		while not tls_ctx:finished() do
			local out = tls_ctx:handshake(read())
			if out then
				write(out)
			end
		end
		local rest = tls_ctx:write()
		if rest ~= "" then
			write(rest)
		end
	end
end

function tlshelper.closefunc(tls_ctx)
	return function()
		tls_ctx:close()
	end
end

-- Like sockethelper.readfunc: read(sz) exactly sz plaintext bytes, read()
-- what is decrypted so far (possibly "" while a record is incomplete).
function tlshelper.readfunc(fd, tls_ctx)
	local read_socket = socket.readfunc(fd)
	-- The handshake's last read may have carried application data too (a
	-- client's request right behind its Finished): the first read decrypts
	-- what the TLS buffers already hold before waiting on the socket.
	local function read()
		read = read_socket
		return ""
	end
	local pending = ""
	return function(sz)
		if not sz then
			if pending ~= "" then
				local data = pending
				pending = ""
				return data
			end
			return tls_ctx:read(read())
		end
		if #pending < sz then
			local parts = { pending }
			local have = #pending
			while have < sz do
				local data = tls_ctx:read(read())
				parts[#parts + 1] = data
				have = have + #data
			end
			pending = table.concat(parts)
		end
		local data = pending:sub(1, sz)
		pending = pending:sub(sz + 1)
		return data
	end
end

function tlshelper.writefunc(fd, tls_ctx)
	local write = socket.writefunc(fd)
	return function(s)
		return write(tls_ctx:write(s))
	end
end

-- Everything until the peer closes, decrypted.
function tlshelper.readallfunc(fd, tls_ctx)
	return function()
		return tls_ctx:read(socket.readall(fd) or "")
	end
end

function tlshelper.newctx()
	return c.newctx()
end

function tlshelper.newtls(method, ssl_ctx, hostname)
	return c.newtls(method, ssl_ctx, hostname)
end

return tlshelper
