#!/usr/bin/python3
"""Compares the commands a driver sent (fake_mongod.py's log) with a
recorded log: same commands in the same order, each with its top-level keys
in the same order. Nested documents built from Lua tables compare without
key order (it follows the Lua hash), numbers without int/double distinction,
generated objectids as "<oid>". Commands of the transaction case are left
out (upstream's transaction module cannot load outside its own tree).

Usage: mongo_compare.py <recorded.jsonl> <sent.jsonl>; exit 0 when equal.
"""
import json
import sys


def norm(v, top=False):
    if isinstance(v, list):  # a document: [[key, value], ...]
        pairs = [(k, norm(x)) for k, x in v]
        return pairs if top else sorted(pairs, key=lambda p: p[0])
    if isinstance(v, dict):
        if "oid" in v:
            return "<oid>"
        if "array" in v:
            return [norm(x) for x in v["array"]]
        return v
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    return float(v)


def transactional(cmd):
    name, arg = cmd[0]
    keys = {k for k, _ in cmd}
    return (name in ("startSession", "endSessions", "commitTransaction", "abortTransaction")
            or "lsid" in keys or arg == "txn")


def load(path):
    out = []
    for line in open(path):
        rec = json.loads(line)
        if transactional(rec["cmd"]):
            continue
        cmd = norm(rec["cmd"], top=True)
        if cmd[0][0] == "findAndModify":  # its options come from pairs()
            cmd = cmd[:2] + sorted(cmd[2:], key=lambda p: p[0])
        out.append((rec["flags"], cmd))
    return out


want, got = load(sys.argv[1]), load(sys.argv[2])
for i, (w, g) in enumerate(zip(want, got)):
    if w != g:
        print("command %d differs:\n  recorded %s\n  sent     %s" % (i + 1, w, g))
        sys.exit(1)
if len(want) != len(got):
    print("%d commands recorded, %d sent" % (len(want), len(got)))
    sys.exit(1)
print("%d commands match" % len(want))
