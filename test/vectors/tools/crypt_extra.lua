local skynet = require "skynet"
local crypt = require "skynet.crypt"
local md5 = require "md5"

local out = assert(io.open(OUTFILE or "/tmp/crypt-scratch/crypt_extra.jsonl", "w"))
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function record(fn, name, args, ok, res)
	local a = {}
	for i, v in ipairs(args) do a[i] = '"' .. hex(v) .. '"' end
	local line = '{"fn":"' .. fn .. '"'
	if name then line = line .. ',"name":"' .. name .. '"' end
	line = line .. ',"args_hex":[' .. table.concat(a, ",") .. ']'
	if ok then
		line = line .. ',"result_hex":["' .. hex(res) .. '"]}'
	else
		line = line .. ',"error":"' .. tostring(res):gsub('\\', '\\\\'):gsub('"', '\\"') .. '"}'
	end
	out:write(line, "\n")
end

local fns = {
	hashkey = crypt.hashkey, sha1 = crypt.sha1, hexencode = crypt.hexencode, hexdecode = crypt.hexdecode,
	base64encode = crypt.base64encode, base64decode = crypt.base64decode,
	desencode = crypt.desencode, desdecode = crypt.desdecode,
	["desencode.pkcs7"] = function(k, t) return crypt.desencode(k, t, crypt.padding.pkcs7) end,
	["desdecode.pkcs7"] = function(k, t) return crypt.desdecode(k, t, crypt.padding.pkcs7) end,
	["desdecode.iso7816_4"] = function(k, t) return crypt.desdecode(k, t, crypt.padding.iso7816_4) end,
	["desdecode.badmode"] = function(k, t) return crypt.desdecode(k, t, 2) end,
	["desencode.badmode_neg"] = function(k, t) return crypt.desencode(k, t, -1) end,
	hmac64 = crypt.hmac64, hmac64_md5 = crypt.hmac64_md5, hmac_hash = crypt.hmac_hash,
	dhexchange = crypt.dhexchange, dhsecret = crypt.dhsecret,
	hmac_sha1 = crypt.hmac_sha1, xor_str = crypt.xor_str,
	["md5.sum"] = md5.sum, ["md5.sumhexa"] = md5.sumhexa, ["md5.hmacmd5"] = md5.hmacmd5,
	["md5.exor"] = md5.exor,
}

local function run(fn, name, ...)
	local args = {...}
	local ok, res = pcall(fns[fn], ...)
	if not ok then res = tostring(res):gsub("^[^:]*gen%.lua:%d+: ", "") end
	record(fn, name, args, ok, res)
end

-- deterministic pseudo-random bytes
local seed = 12345
local function rnd_bytes(n)
	local t = {}
	for i = 1, n do
		seed = (seed * 1103515245 + 12345) % 2147483648
		t[i] = string.char((seed >> 16) & 0xff)
	end
	return table.concat(t)
end

local key = "12345678"
-- DES: every length 0..33, and around the 256-byte stack scratch, both paddings, random keys
for _, n in ipairs({0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,23,24,25,31,32,33,247,248,249,255,256,257,263,264,1000,5000}) do
	local t = rnd_bytes(n)
	local k = rnd_bytes(8)
	run("desencode", "len"..n, k, t)
	run("desencode.pkcs7", "len"..n, k, t)
	local c1 = crypt.desencode(k, t)
	local c2 = crypt.desencode(k, t, crypt.padding.pkcs7)
	run("desdecode", "len"..n, k, c1)
	run("desdecode.pkcs7", "len"..n, k, c2)
	run("desdecode.iso7816_4", "cross"..n, k, c2)
	run("desdecode.pkcs7", "cross"..n, k, c1)
end
-- DES padding edge cases: blocks that decrypt to chosen plaintexts
local function raw_block(p) -- ciphertext whose decryption (no padding removal) is p: encrypt p..full block
	return crypt.desencode(key, p):sub(1, 8)
end
local tails = {
	"\0\0\0\0\0\0\0\0", "\128\0\0\0\0\0\0\0", "abcdefg\128", "abcdef\128\0", "abcdef\128\1", "abc\128\0\0\0\0",
	"abcdefgh", "abcdefg\1", "abcdef\2\2", "abcdef\1\2", "\8\8\8\8\8\8\8\8", "abcdefg\9", "abcdefg\255",
	"\9\9\9\9\9\9\9\9", "abcd\4\4\4\4", "abcd\3\4\4\4", "abcdefg\0", "\0\0\0\0\0\0\0\128",
}
for i, p in ipairs(tails) do
	local c = raw_block(p)
	run("desdecode", "tail"..i, key, c)
	run("desdecode.pkcs7", "tail"..i, key, c)
	run("desdecode", "tail2_"..i, key, raw_block("12345678") .. c)
end
run("desdecode.badmode", "badmode", key, crypt.desencode(key, "x"))
run("desencode.badmode_neg", "badmode", key, "x")
run("desencode", "shortkey", "1234567", "x")
run("desencode", "longkey", "123456789", "x")
run("desdecode", "shortkey", "", "12345678")

-- hmac64 / hmac64_md5 / dhsecret / dhexchange on random and edge qwords
local P = "\197\255\255\255\255\255\255\255"
local edge = { "\1\0\0\0\0\0\0\0", "\2\0\0\0\0\0\0\0", P, "\196\255\255\255\255\255\255\255",
	"\198\255\255\255\255\255\255\255", "\255\255\255\255\255\255\255\255", "\0\0\0\0\0\0\0\128", "\5\0\0\0\0\0\0\0" }
for i = 1, 12 do edge[#edge + 1] = rnd_bytes(8) end
for _, x in ipairs(edge) do
	run("dhexchange", nil, x)
	for _, y in ipairs(edge) do
		run("dhsecret", nil, x, y)
	end
	run("hmac64", nil, x, edge[#edge])
	run("hmac64_md5", nil, edge[#edge], x)
end
run("dhexchange", "short", "1234567")
run("dhsecret", "shortx", "1234567", "12345678")
run("dhsecret", "shorty", "12345678", "123456789")
run("hmac64", "shortx", "1234567", "12345678")
run("hmac64", "shorty", "12345678", "")
run("hmac64_md5", "shorty", "12345678", "")
run("hmac_hash", "shortkey", "1234567", "text")
for _, n in ipairs({1, 100, 300, 5000}) do
	run("hmac_hash", nil, rnd_bytes(8), rnd_bytes(n))
	run("hashkey", nil, rnd_bytes(n))
end

-- hex
for _, s in ipairs({"0g", "g0", "gg", "fg", "0G", "0:", "0/", "/0", "0`", "ab CD", "0123456789abcdefg0", "zz", "0", "1g2g"}) do
	run("hexdecode", nil, s)
end
for _, n in ipairs({127, 128, 129, 300, 5000}) do
	local t = rnd_bytes(n)
	run("hexencode", nil, t)
	run("hexdecode", nil, crypt.hexencode(t))
end

-- base64
for _, s in ipairs({"Zg", "Zg=", "Zg==", "Zm8", "Zm8=", "Zh==", "Zm9=", "Zm9v\n", "Zm9v\r\nYmFy", " Zm 9v ", "Zg==Zg==", "Z=g=",
	"=Zg=", "Zm=v", "Z", "ZZ", "ZZZ", "====", "A===", "AA==", "AAA=", "AAAA", "-_-_", "Zm9v!!!!", "Zm9v====", "Zm9vYg=", "Zm9vYmE",
	"z+/9", "\255\255Zm9v", "YQ==\0"}) do
	run("base64decode", nil, s)
end
for _, n in ipairs({1, 2, 3, 190, 191, 192, 193, 256, 5000}) do
	local t = rnd_bytes(n)
	run("base64encode", nil, t)
	run("base64decode", nil, crypt.base64encode(t))
end

-- sha1 / hmac_sha1 / md5 with keys around the 64-byte block
for _, n in ipairs({55, 56, 63, 64, 65, 119, 120, 5000}) do
	run("sha1", nil, rnd_bytes(n))
	run("md5.sum", nil, rnd_bytes(n))
	run("md5.sumhexa", nil, rnd_bytes(n))
end
for _, kn in ipairs({0, 1, 20, 63, 64, 65, 100, 200}) do
	run("hmac_sha1", nil, rnd_bytes(kn), rnd_bytes(kn * 3 + 1))
	run("md5.hmacmd5", nil, rnd_bytes(kn * 3 + 1), rnd_bytes(kn))
end

-- xor
run("xor_str", nil, "abc", "")
run("xor_str", nil, "", "k")
run("xor_str", nil, rnd_bytes(300), rnd_bytes(7))
run("xor_str", nil, rnd_bytes(5), rnd_bytes(9))
run("md5.exor", nil, "abc", "xyz")

out:close()
skynet.error("done")
skynet.start(function() skynet.exit() end)
