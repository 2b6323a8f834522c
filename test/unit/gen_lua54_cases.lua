-- Makes lua54_cases.inc, the expected values of test_lua54.cpp, with Lua 5.4
-- itself (run by hand; the test suite does not need lua5.4):
--   lua5.4 test/unit/gen_lua54_cases.lua > test/unit/lua54_cases.inc
-- Each case is an expression and what it gives, normalized so that LuaJIT's
-- doubles and 5.4's integers print alike: numbers as %.17g, other values as
-- type:tostring, errors as "error:" and the message without position or
-- 5.4's variable info.
local function norm_value(v)
	if math.type(v) then
		return string.format("%.17g", v)
	end
	return type(v) .. ":" .. tostring(v)
end

local function norm(ok, v)
	if ok then
		return norm_value(v)
	end
	v = tostring(v):gsub("^[^:]*:%d+: ", ""):gsub(" %(.*%)$", "")
	return "error:" .. v
end

local cases = {}
local function case(expr)
	-- a float turned into a string inside the expression: 5.4 writes 3.0,
	-- LuaJIT 3 (a documented difference, not the operators')
	if expr:find("..", 1, true) and (expr:find("^", 1, true) or expr:find("[^/]/[^/]")) then
		return
	end
	local f = assert(load("return " .. expr))
	local value = norm(pcall(f))
	cases[#cases + 1] = { expr, value }
end

local binary = { "or", "and", "<", "<=", "==", "~=", "|", "~", "&", "<<", ">>", "..",
	"+", "-", "*", "/", "//", "%", "^" }
local unary = { "-", "~", "not " }

-- every operator alone, and in every precedence pair
for _, a in ipairs(binary) do
	case("13 " .. a .. " 5")
	case("-13 " .. a .. " 3")
	for _, b in ipairs(binary) do
		case("13 " .. a .. " 5 " .. b .. " 3")
	end
	for _, u in ipairs(unary) do
		case(u .. "13 " .. a .. " 5")
		case("13 " .. a .. " " .. u .. "5")
	end
end

-- the 64-bit integer rules
local extra = {
	"0xFFFFFFFF & 0xFF00", "1 << 40", "-1 >> 60", "1 << 64", "1 << 63", "-1 << 63", "1 >> -4",
	"256 << -4", "1 >> 64", "-1 >> 1", "-1 >> 32", "-1 << 32", "0x7FFFFFFF + 1 | 0",
	"0xFFFFFFFF ~ 0xFFFFFFFF", "0xFFFFFFFF | 0x100000000", "~0xFFFFFFFF", "~-1", "~0",
	"0xDEADBEEF >> 16", "0xDEADBEEF << 16", "0xDEADBEEF ~ -1", "-0xDEADBEEF & 0xFFFF",
	"0x123456789A & 0xFF00FF00FF", "0x123456789A | 0x0F", "(1 << 52) | 1", "(1 << 53) >> 1",
	"-(1 << 40) >> 20", "3.0 | 0", "2^31 | 0", "2^32 & 0xFFFFFFFF", "2^53 >> 53",
	"1.5 | 0", "0 | 1.5", "~1.5", "'3' | 0", "1 & '3'", "nil & 1", "1 ~ {}", "true << 1", "~{}",
	"math.maxinteger & 0xFF", "math.mininteger >> 63", "math.mininteger & -1", "~math.mininteger",
	"0xFFFFFFFFFFFFFFFF | 0", "0xFFFFFFFFFFFFFFFF >> 60", "0x8000000000000000 >> 63",
	"7 // 2", "-7 // 2", "7 // -2", "-7 // -2", "7.5 // 2", "-7.5 // 2", "1 // 0", "0 // 0",
	"1.5 // 0", "-1.5 // 0", "'7' // 2", "7 // '2'", "'7.5' // '2'", "{} // 1", "'a' // 1",
	"7 // 0.5", "2^53 // 3", "1e15 // 7", "-1e15 // 7",
	"1 ~= 2", "1 ~= 1", "~1 ~= ~1", "1 ~ ~1", "2 ~=3 ~ 1", "~ ~5", "- ~5", "~ -5", "not ~0",
	"#'abc' << 2", "('a'):len() | 8", "({7})[1] & 3", "(2) ~ (3)", "'5' .. 1 << 2",
	"2 ^ 3 ^ 2 // 100", "2 ^ -1 // 1", "1 << 2 .. ''", "1 .. 2 >> 1",
}
for _, e in ipairs(extra) do
	case(e)
end

print("// Made by gen_lua54_cases.lua with Lua 5.4; do not edit.")
for _, c in ipairs(cases) do
	print(string.format("{%q, %q},", c[1], c[2]))
end
