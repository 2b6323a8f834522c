-- Assigning a <const> is a compile error (line 4).
local limit <const> = 10
local n = limit // 3
limit = n
