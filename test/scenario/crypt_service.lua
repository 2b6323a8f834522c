-- skynet.crypt, client.crypt and md5 inside a service: the DES + base64 values
-- upstream's test/testcrypt.lua asserts, a SHA-1 pair from testsha.lua, and the
-- login handshake run between two services.
local skynet = require "skynet"
local crypt = require "skynet.crypt"
local md5 = require "md5"
local T = require "testlib"

local function des_b64(key, text, mode)
	return crypt.base64encode(crypt.desencode(key, text, crypt.padding[mode or "iso7816_4"]))
end

local function peer()
	-- the server half of the handshake, in another service
	skynet.dispatch("lua", function(_, _, cex)
		local skey = crypt.randomkey()
		local secret = crypt.dhsecret(cex, skey)
		skynet.ret(skynet.pack(crypt.dhexchange(skey), crypt.hexencode(secret)))
	end)
end

local mode = ...

skynet.start(function()
	if mode == "peer" then
		return peer()
	end
	T.case("client.crypt is the same module", function()
		local client = require "client.crypt"
		T.eq(client.hexencode(client.hashkey "abc"), crypt.hexencode(crypt.hashkey "abc"))
	end)
	T.case("DES + base64 as upstream's testcrypt", function()
		local key = "12345678"
		T.eq(des_b64(key, "hello world"), "KNugLrX23UcGtcVlk9y+LA==")
		T.eq(crypt.desdecode(key, crypt.base64decode("KNugLrX23UcGtcVlk9y+LA==")), "hello world")
		T.eq(des_b64(key, "", "pkcs7"), "/rlZt9RkL8s=")
		T.eq(des_b64(key, "1234567", "pkcs7"), "mYo+BYIT41M=")
		T.eq(des_b64(key, "12345678", "pkcs7"), "ltACiHjVjIn+uVm31GQvyw==")
		T.raises("Invalid des crypt text", crypt.desdecode, key, crypt.base64decode("KNugLrX23UcGtcVlk9y+LA=="), crypt.padding.pkcs7)
		T.raises("Invalid key size 3, need 8 bytes", crypt.desencode, "abc", "x")
	end)
	T.case("SHA-1 and HMAC-SHA1 as upstream's testsha", function()
		T.eq(crypt.hexencode(crypt.sha1 "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d")
		T.eq(crypt.hexencode(crypt.sha1(string.rep("a", 10000))), "a080cbda64850abb7b7f67ee875ba068074ff6fe")
		T.eq(crypt.hexencode(crypt.hmac_sha1("key", "The quick brown fox jumps over the lazy dog")),
			"de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9")
	end)
	T.case("md5", function()
		T.eq(md5.sumhexa "", "d41d8cd98f00b204e9800998ecf8427e")
		T.eq(md5.hmacmd5("The quick brown fox jumps over the lazy dog", "key"), "80070713463e7749b90c2dc24911e275")
	end)
	T.case("DH handshake across services", function()
		local p = skynet.newservice(SERVICE_NAME, "peer")
		local ckey = crypt.randomkey()
		local sex, secret_hex = skynet.call(p, "lua", crypt.dhexchange(ckey))
		T.eq(crypt.hexencode(crypt.dhsecret(sex, ckey)), secret_hex)
		skynet.kill(p)
	end)
	T.done()
end)
