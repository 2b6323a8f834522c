-- Node map of the c1/c2 pair (config key `cluster` of config.c2).
__nowaiting = true	-- calls to a node missing from the map fail instead of waiting

db = "127.0.0.1:2528"
db2 = "127.0.0.1:2529"
