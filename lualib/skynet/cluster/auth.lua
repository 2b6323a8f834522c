-- Opt-in mutual authentication of cluster connections (config cluster_secret,
-- or cluster_secret_file naming a file that holds it). Without a secret no
-- byte changes on the wire, so upstream nodes interoperate as before.
--
-- The handshake, in gate frames (u16 big-endian length + payload), before any
-- request is read:
--   listener -> connector  MAGIC .. nonce_l                  (16 random bytes)
--   connector -> listener  nonce_c .. HMAC(secret, "connector" .. nonce_l .. nonce_c)
--   listener -> connector  HMAC(secret, "listener" .. nonce_c .. nonce_l)
-- Each side proves the secret over a nonce the other just chose, so a
-- recorded handshake is worth nothing on a new connection. HMAC is HMAC-SHA1.
local skynet = require "skynet"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

local auth = {}

local MAGIC = "skynet-cluster-auth-1\0"
local NONCE = 16
local MAC = 20
auth.TIMEOUT = 500 -- centiseconds for the whole handshake

local function nonce()
	return crypt.randomkey() .. crypt.randomkey()
end

local function frame(payload)
	return string.char(math.floor(#payload / 256), #payload % 256) .. payload
end

-- Compare without an early exit: the time taken says nothing of where a
-- forged proof went wrong.
local function same(a, b)
	if #a ~= #b then
		return false
	end
	local diff = 0
	for i = 1, #a do
		diff = bit.bor(diff, bit.bxor(a:byte(i), b:byte(i)))
	end
	return diff == 0
end

-- The configured secret, or nil: cluster_secret, else the content of
-- cluster_secret_file (a trailing newline is not part of it).
function auth.secret()
	local secret = skynet.getenv "cluster_secret"
	if secret and secret ~= "" then
		return secret
	end
	local file = skynet.getenv "cluster_secret_file"
	if not file or file == "" then
		return nil
	end
	local f = assert(io.open(file, "rb"), "cluster_secret_file: cannot open " .. file)
	secret = f:read "*a"
	f:close()
	secret = secret:gsub("\r?\n$", "")
	assert(secret ~= "", "cluster_secret_file: empty " .. file)
	return secret
end

-- Listener side, step 1: the challenge frame to send, and its nonce.
function auth.challenge()
	local n = nonce()
	return frame(MAGIC .. n), n
end

-- Listener side, step 2: the connector's proof (one frame's payload) against
-- our nonce. Returns the frame proving us to the connector, or nil, reason.
function auth.verify(secret, nonce_l, proof)
	if #proof ~= NONCE + MAC then
		return nil, "malformed proof"
	end
	local nonce_c = proof:sub(1, NONCE)
	local mac = proof:sub(NONCE + 1)
	if not same(mac, crypt.hmac_sha1(secret, "connector" .. nonce_l .. nonce_c)) then
		return nil, "wrong proof"
	end
	return frame(crypt.hmac_sha1(secret, "listener" .. nonce_c .. nonce_l))
end

local function read_frame(fd)
	local head = socket.read(fd, 2)
	if not head then
		error("cluster auth: connection closed", 0)
	end
	local len = head:byte(1) * 256 + head:byte(2)
	local payload = len == 0 and "" or socket.read(fd, len)
	if not payload then
		error("cluster auth: connection closed", 0)
	end
	return payload
end

-- Connector side, on a fresh fd: raises unless the listener proved the secret
-- (a listener without one never sends a challenge: the timeout ends it).
function auth.connect(secret, fd)
	local done, timed_out = false, false
	skynet.timeout(auth.TIMEOUT, function()
		if not done then
			timed_out = true
			socket.close(fd)
		end
	end)
	local ok, err = pcall(function()
		local challenge = read_frame(fd)
		if #challenge ~= #MAGIC + NONCE or challenge:sub(1, #MAGIC) ~= MAGIC then
			error("cluster auth: the peer sent no challenge", 0)
		end
		local nonce_l = challenge:sub(#MAGIC + 1)
		local nonce_c = nonce()
		socket.write(fd, frame(nonce_c .. crypt.hmac_sha1(secret, "connector" .. nonce_l .. nonce_c)))
		local proof = read_frame(fd)
		if not same(proof, crypt.hmac_sha1(secret, "listener" .. nonce_c .. nonce_l)) then
			error("cluster auth: the peer does not know the secret", 0)
		end
	end)
	done = true
	if not ok then
		if timed_out then
			err = "cluster auth: no challenge from the peer (has it a cluster_secret?)"
		elseif err == "cluster auth: connection closed" then
			err = "cluster auth: refused by the peer (another secret?)"
		end
		error(err, 0)
	end
end

return auth
