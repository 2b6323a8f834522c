local out = {}
local function log(s) out[#out + 1] = s end
local function mk(name)
  return setmetatable({}, {__close = function(_, err) log(name .. ":" .. tostring(err)) end})
end
do
  local a <close> = mk("a")
  do
    local b <close> = mk("b")
    local c <const> = 10
    log("body" .. c)
  end
  log("mid")
end
local function f(x)
  local a <close> = mk("f")
  if x then return x * 2, "r" end
  return nil
end
log(table.concat({f(21)}, ","))
for i = 1, 3 do
  local a <close> = mk("l" .. i)
  if i == 2 then break end
end
for i = 1, 3 do
  local a <close> = mk("g" .. i)
  if i == 2 then goto continue end
  log("x" .. i)
  ::continue::
end
for i = 1, 3 do
  do
    local a <close> = mk("h" .. i)
    if i == 2 then goto next end
  end
  log("y" .. i)
  ::next::
end
local i = 0
while true do
  i = i + 1
  local w <close> = mk("w" .. i)
  if i >= 2 then
    local inner <close> = mk("wi" .. i)
    break
  end
end
log(tostring(select(2, pcall(function()
  local a <close> = mk("e1")
  local b <close> = mk("e2")
  error("boom", 0)
end))))
log(tostring(select(2, pcall(function()
  local a <close> = setmetatable({}, {__close = function() error("in close", 0) end})
  error("first", 0)
end))))
log(tostring(select(2, pcall(function() local z <close> = {} end))))
log(tostring(pcall(function() local z <close> = nil; local w <close> = false; return 1 end)))
local function v(...)
  local a <close> = mk("v")
  return select('#', ...), ...
end
log(table.concat({v(1, 2, 3)}, ","))
local co = coroutine.wrap(function()
  local a <close> = mk("co")
  coroutine.yield(1)
  return 2
end)
log(co() .. "," .. co())
local function nested(n)
  local a <close> = mk("n" .. n)
  if n > 0 then return nested(n - 1) + 1 end
  return 0
end
log(nested(2))
return table.concat(out, " ")
