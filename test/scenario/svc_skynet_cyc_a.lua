-- Requires svc_skynet_cyc_b, which requires this module back.
local b = require "svc_skynet_cyc_b"
return { b = b }
