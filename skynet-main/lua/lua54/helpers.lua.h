// The operators' runtime, in Lua so that LuaJIT compiles it into the caller's
// trace: the fast path (integral operands that fit 32 bits) is one bit.* op
// or one multiply; wider integers take a second compiled path that splits the
// 64-bit value into two 32-bit halves; only errors and metamethods reach the
// slow path. No helper ends in a tail call (not even of bit.*): the JIT gives
// up on a trace with more than 15 tail calls. So errors name the user's line with a level that
// counts the helper frames under them (bitwise_fail: 4, arith_fail: 3).
#ifndef SKYNET_LUA54_HELPERS_LUA_H
#define SKYNET_LUA54_HELPERS_LUA_H

namespace lua54 {

inline constexpr const char *helpers_chunk = R"lua(
local bit, math, getmetatable, string_table = ...
local type, error, rawget, select, unpack, xpcall, tonumber, tostring =
	type, error, rawget, select, unpack, xpcall, tonumber, tostring
local tobit, band32, bor32, bxor32, lshift32, rshift32 =
	bit.tobit, bit.band, bit.bor, bit.bxor, bit.lshift, bit.rshift
local floor, max = math.floor, math.max

local TWO32 = 4294967296
local TWO31 = 2147483648
local MIN = -2147483648 -- the int32 with only the top bit set
local TWO51 = 2251799813685248
local TWO63 = 9223372036854775808

-- The integer rule shared with math.type/tointeger: an integral double in
-- [-2^63, 2^63]; 2^63 is math.maxinteger's double and stands for 2^63-1.
local function isint(x)
	return x == floor(x) and x >= -TWO63 and x <= TWO63
end

-- The two's complement halves: hi in int32 range, lo in [0, 2^32). The
-- max() is no-op arithmetic that stops the JIT from narrowing tobit(lo) into
-- tobit(x) - tobit(hi * 2^32): tobit is only exact below 2^51.
local function split(x)
	if x >= TWO63 then
		return 2147483647, 4294967295
	end
	local hi = floor(x / TWO32)
	return hi, max(x - hi * TWO32, 0)
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
		error("number has no integer representation", 4)
	end
	local bad = a
	if type(a) == "number" then
		bad = b
	end
	error("attempt to perform bitwise operation on a " .. type(bad) .. " value", 4)
end

-- A double below 2^51 in magnitude whose low word tobit reads exactly.
local function is_int51(a)
	return a == floor(a) and a > -TWO51 and a < TWO51
end

local function wide(op32, event)
	return function(a, b)
		if type(a) == "number" and type(b) == "number" and isint(a) and isint(b) then
			local ah, al = split(a)
			local bh, bl = split(b)
			return (join(op32(ah, bh), op32(al, bl)))
		end
		return (bitwise_fail(a, b, event))
	end
end

-- The fast paths work on the bits through a bias: a is an integer in
-- [0, 2^32) (a u32, what hashes and masks are made of) exactly when a - 2^31
-- is an int32, i.e. tobit(a - 2^31) == a - 2^31, and those bits are a's with
-- the top one flipped. Flipping back after the op and adding 2^31 reads the
-- result unsigned. All integer ops in a trace, and no branch depends on
-- whether a value is above 2^31 (an unpredictable guard makes the JIT spawn
-- side traces). Negative int32 operands take the second test.
local function bitwise(op32, event)
	local slow = wide(op32, event)
	return function(a, b)
		if type(a) == "number" and type(b) == "number" then
			local ab, bb = a - TWO31, b - TWO31
			local xb, yb = tobit(ab), tobit(bb)
			if xb == ab and yb == bb then
				return bxor32(op32(bxor32(xb, MIN), bxor32(yb, MIN)), MIN) + TWO31
			end
			local x, y = tobit(a), tobit(b)
			if x == a and y == b then
				return (op32(x, y))
			end
		end
		return (slow(a, b))
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
		local ab, bb = a - TWO31, b - TWO31
		local xb, yb = tobit(ab), tobit(bb)
		if yb == bb then
			if xb == ab then
				return bxor32(band32(bxor32(xb, MIN), bxor32(yb, MIN)), MIN) + TWO31
			elseif is_int51(a) then
				return bxor32(band32(tobit(a), bxor32(yb, MIN)), MIN) + TWO31
			end
		elseif xb == ab then
			if is_int51(b) then
				return bxor32(band32(bxor32(xb, MIN), tobit(b)), MIN) + TWO31
			end
		else
			local x, y = tobit(a), tobit(b)
			if x == a and y == b then
				return (band32(x, y))
			end
		end
	end
	return (band_wide(a, b))
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
	return (join(hi, lo))
end

local function shift_wide(a, n, sign, event)
	if type(a) == "number" and type(n) == "number" and isint(a) and isint(n) then
		return (shift(a, sign * n))
	end
	return (bitwise_fail(a, n, event))
end

-- Powers of two for shift counts: a table load where 2 ^ n would be a pow
-- call in a trace whenever the count is not a literal.
local P2 = {}
for n = 0, 31 do
	P2[n] = 2 ^ n
end

function H.shl(a, n)
	if type(a) == "number" and type(n) == "number" and n >= 0 and n < 32 and tobit(n) == n then
		local ab = a - TWO31
		if tobit(ab) == ab or tobit(a) == a then
			return a * P2[n] -- a in [-2^31, 2^32), n < 32: exact, below 2^63
		end
	end
	return (shift_wide(a, n, 1, "__shl"))
end

function H.shr(a, n)
	if type(a) == "number" and type(n) == "number" and n >= 1 and n < 32 and tobit(n) == n then
		local ab = a - TWO31
		local xb = tobit(ab)
		if xb == ab then -- a u32: the logical shift of its bits is the answer
			return (rshift32(bxor32(xb, MIN), n))
		end
	end
	return (shift_wide(a, n, -1, "__shr"))
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
		if y == 0 and isint(x) then
			error("attempt to divide by zero", 3)
		end
		return (floor(x / y))
	end
	if type(a) == "string" or type(b) == "string" then -- as 5.4's string metamethods say it
		error("attempt to idiv a '" .. type(a) .. "' with a '" .. type(b) .. "'", 3)
	end
	local bad = b
	if x == nil then
		bad = a
	end
	error("attempt to perform arithmetic on a " .. type(bad) .. " value", 3)
end

function H.idiv(a, b)
	if type(a) == "number" and type(b) == "number" then
		if b == 0 and isint(a) and a == a then
			error("attempt to divide by zero", 2)
		end
		return (floor(a / b))
	end
	return (arith_fail(a, b))
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
