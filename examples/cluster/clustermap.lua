-- The node map of the example, read by clusterd on both nodes (config key
-- `cluster`). Each global is a node: name = "host:port"; false = node down.
-- Keys starting with __ are options: __nowaiting = true makes calls to a
-- node missing from this map fail at once instead of waiting for it.
gate = "127.0.0.1:7101"
db = "127.0.0.1:7102"
