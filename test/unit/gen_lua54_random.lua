-- Random 64-bit operands for test_lua54.cpp ("random operands ... under the JIT"),
-- results by Lua 5.4 (run by hand; the suite does not need lua5.4):
--   lua5.4 test/unit/gen_lua54_random.lua > test/unit/lua54_random.inc
print("// Made by gen_lua54_random.lua with Lua 5.4; do not edit.")
math.randomseed(42)
local vals = {}
local function rv()
  local k = math.random(1, 8)
  if k == 1 then return math.random(-100, 100)
  elseif k == 2 then return math.random(0, 0xFFFFFFFF)
  elseif k == 3 then return math.random(-0x80000000, 0x7FFFFFFF)
  elseif k == 4 then return math.random(-(1<<50), 1<<50)
  elseif k == 5 then return math.random(0, 70) - 5
  elseif k == 6 then return math.random(0, 1 << 52)
  elseif k == 7 then return -math.random(0, 1 << 52)
  else return math.random(0, 0xFFFF) end
end
local ops = {"&","|","~","<<",">>","//"}
for i = 1, 1500 do
  local a, b = rv(), rv()
  local op = ops[math.random(#ops)]
  if op == "<<" or op == ">>" then b = math.random(-70, 70) end
  if op == "//" and b == 0 then b = 7 end
  local e = string.format("(%d) %s (%d)", a, op, b)
  local v = load("return " .. e)()
  if math.random(4) == 1 then e = "~" .. "(" .. e .. ")"; v = ~v end
  -- only results exactly representable as doubles
  if v == math.tointeger(v + 0.0) then
    print(string.format("{%q, %q},", e, string.format("%.17g", v)))
  end
end
