-- The other half of the svc_skynet_cyc_a cycle.
local a = require "svc_skynet_cyc_a"
return { a = a }
