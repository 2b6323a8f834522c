// The operators' runtime, in Lua so that LuaJIT compiles it into the caller's
// trace: the fast path (integral operands that fit 32 bits) is one bit.* op
// or one multiply; wider integers take a second compiled path that splits the
// 64-bit value into two 32-bit halves; only errors and metamethods reach the
// slow path. Every slow path is a tail call, so error(msg, 2) names the
// user's line.
#ifndef SKYNET_LUA54_HELPERS_LUA_H
#define SKYNET_LUA54_HELPERS_LUA_H

namespace lua54 {

inline constexpr const char *helpers_chunk = R"lua(
local bit, math, getmetatable, string_table = ...
local type, error, rawget, select, unpack, xpcall, tonumber, tostring =
	type, error, rawget, select, unpack, xpcall, tonumber, tostring
local tobit, band32, bor32, bxor32, lshift32, rshift32 =
	bit.tobit, bit.band, bit.bor, bit.bxor, bit.lshift, bit.rshift
local floor, fmod = math.floor, math.fmod

local TWO32 = 4294967296
local TWO51 = 2251799813685248
local TWO63 = 9223372036854775808

-- 2^n and 2^-n for shift counts: a table load is cheaper than pow in a trace.
local P2, N2 = {}, {}
for n = 0, 63 do
	P2[n], N2[n] = 2 ^ n, 2 ^ -n
end

-- The integer rule shared with math.type/tointeger: an integral double in
-- [-2^63, 2^63]; 2^63 is math.maxinteger's double and stands for 2^63-1.
local function isint(x)
	return x == floor(x) and x >= -TWO63 and x <= TWO63
end

-- The two's complement halves: hi in int32 range, lo in [0, 2^32). lo comes
-- from fmod, not x - hi * 2^32: fed to bit.*, that subtraction would be
-- narrowed by the JIT to tobit(x) - ..., and tobit is only exact below 2^51.
local function split(x)
	if x >= TWO63 then
		return 2147483647, 4294967295
	end
	local lo = fmod(x, TWO32)
	if lo < 0 then
		lo = lo + TWO32
	end
	return (x - lo) / TWO32, lo
end

-- From the int32 results of bit.* on the halves; one rounding at most.
local function join(hi, lo)
	if lo < 0 then
		lo = lo + TWO32
	end
	return hi * TWO32 + lo
end

local function metamethod(x, event)
	local mt = getmetatable(x)
	return mt and rawget(mt, event)
end

local function bitwise_fail(a, b, event)
	local h = metamethod(a, event)
	if h == nil then
		h = metamethod(b, event)
	end
	if h ~= nil then
		return (h(a, b))
	end
	if type(a) == "number" and type(b) == "number" then
		error("number has no integer representation", 2)
	end
	local bad = a
	if type(a) == "number" then
		bad = b
	end
	error("attempt to perform bitwise operation on a " .. type(bad) .. " value", 2)
end

-- x is tobit(a): is a an integer in [0, 2^32)? (the checks are a few
-- instructions in a trace; u32 values are what hashes and masks are made of)
local function is_u32(a, x)
	return a == x and a >= 0 or a < TWO32 and a == x + TWO32
end

-- A double below 2^51 in magnitude whose low word tobit reads exactly.
local function is_int51(a)
	return a == floor(a) and a > -TWO51 and a < TWO51
end

local function to_u32(r)
	if r < 0 then
		return r + TWO32
	end
	return r
end

local function wide(op32, event)
	return function(a, b)
		if type(a) == "number" and type(b) == "number" and isint(a) and isint(b) then
			local ah, al = split(a)
			local bh, bl = split(b)
			return join(op32(ah, bh), op32(al, bl))
		end
		return bitwise_fail(a, b, event)
	end
end

-- int32 operands: one bit.* op. Two u32 operands: the same op, read unsigned.
local function bitwise(op32, event)
	local slow = wide(op32, event)
	return function(a, b)
		if type(a) == "number" and type(b) == "number" then
			local x, y = tobit(a), tobit(b)
			if x == a and y == b then
				return op32(x, y)
			end
			if is_u32(a, x) and is_u32(b, y) then
				return to_u32(op32(x, y))
			end
		end
		return slow(a, b)
	end
end

local H = {}
H.bor = bitwise(bor32, "__bor")
H.bxor = bitwise(bxor32, "__bxor")

-- & with a u32 mask (0xFF, 0xFFFFFFFF) keeps the low word of anything up to
-- 2^51, such as a shifted u32: still one bit.band.
local band_wide = wide(band32, "__band")
function H.band(a, b)
	if type(a) == "number" and type(b) == "number" then
		local x, y = tobit(a), tobit(b)
		if x == a and y == b then
			return band32(x, y)
		end
		if is_u32(b, y) and is_int51(a) or is_u32(a, x) and is_int51(b) then
			return to_u32(band32(x, y))
		end
	end
	return band_wide(a, b)
end

-- a shifted left by n (right when n < 0), logically, on 64 bits.
local function shift(a, n)
	if n <= -64 or n >= 64 then
		return 0
	end
	local hi, lo = split(a)
	if n >= 32 then
		hi, lo = lshift32(lo, n - 32), 0
	elseif n > 0 then
		hi, lo = bor32(lshift32(hi, n), rshift32(lo, 32 - n)), lshift32(lo, n)
	elseif n <= -32 then
		hi, lo = 0, rshift32(hi, -n - 32)
	elseif n < 0 then
		hi, lo = rshift32(hi, -n), bor32(rshift32(lo, -n), lshift32(hi, 32 + n))
	end
	return join(hi, lo)
end

local function shift_wide(a, n, sign, event)
	if type(a) == "number" and type(n) == "number" and isint(a) and isint(n) then
		return shift(a, sign * n)
	end
	return bitwise_fail(a, n, event)
end

function H.shl(a, n)
	if type(a) == "number" and type(n) == "number" and n >= 0 and n < 32 and tobit(n) == n then
		local x = tobit(a)
		if x == a or is_u32(a, x) then
			return a * P2[n] -- a in [-2^31, 2^32), n < 32: exact, below 2^63
		end
	end
	return shift_wide(a, n, 1, "__shl")
end

function H.shr(a, n)
	if type(a) == "number" and type(n) == "number" and a >= 0 and a < TWO32 and
			n >= 0 and n < 32 and tobit(n) == n and floor(a) == a then
		return floor(a * N2[n])
	end
	return shift_wide(a, n, -1, "__shr")
end

function H.bnot(a)
	if type(a) == "number" and isint(a) then
		if a >= TWO63 then
			return -TWO63
		end
		return -1 - a
	end
	local h = metamethod(a, "__bnot")
	if h ~= nil then
		return (h(a, a))
	end
	if type(a) == "number" then
		error("number has no integer representation", 2)
	end
	error("attempt to perform bitwise operation on a " .. type(a) .. " value", 2)
end

local function arith_fail(a, b)
	local h = type(a) ~= "string" and metamethod(a, "__idiv") or nil
	if h == nil and type(b) ~= "string" then
		h = metamethod(b, "__idiv")
	end
	if h ~= nil then
		return (h(a, b))
	end
	local x, y = tonumber(a), tonumber(b)
	if x ~= nil and y ~= nil then
		return H.idiv(x, y)
	end
	if type(a) == "string" or type(b) == "string" then -- as 5.4's string metamethods say it
		error("attempt to idiv a '" .. type(a) .. "' with a '" .. type(b) .. "'", 2)
	end
	local bad = b
	if x == nil then
		bad = a
	end
	error("attempt to perform arithmetic on a " .. type(bad) .. " value", 2)
end

function H.idiv(a, b)
	if type(a) == "number" and type(b) == "number" then
		if b == 0 and isint(a) and a == a then
			error("attempt to divide by zero", 2)
		end
		return floor(a / b)
	end
	return arith_fail(a, b)
end

-- <close>
function H.closable(x, name)
	if x ~= nil and x ~= false and metamethod(x, "__close") == nil then
		error("variable '" .. name .. "' got a non-closable value", 2)
	end
end

local function close(x, err)
	if x ~= nil and x ~= false then
		local h = metamethod(x, "__close")
		if h == nil then
			error("metamethod 'close' is not callable", 0)
		end
		h(x, err)
	end
end

local function keep(e)
	return e
end

local function finish(x, ok, ...)
	if not ok then
		close(x, (...))
		error((...), 0)
	end
	close(x, nil)
	return ...
end

-- Runs the rest of x's block; its status and packed results go on to the
-- code the translator put after it.
function H.run(x, f, ...)
	return finish(x, xpcall(f, keep, ...))
end

function H.pack(...)
	return { n = select("#", ...), ... }
end

function H.unpack(t)
	return unpack(t, 1, t.n)
end

string_table.__L54 = H
)lua";

} // namespace lua54

#endif
