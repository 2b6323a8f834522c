#!/usr/bin/env bash
# Malformed traffic on a cluster port: raw clients send random bytes, frames
# of unknown types, truncated frames and broken multi-part requests to alpha.
# Each bad connection must be dropped (or get an error answer where the
# protocol has one) while alpha keeps serving beta and new connections.
# Usage: test/cluster/garbage.sh <skynet-binary>
source "$(dirname "$0")/common.bash"

port=$(free_ports 1)
map=$cl_tmp/clustermap.lua
cluster_map "$map" alpha="$port"

node_start alpha server cnode "cluster = \"$map\""
if node_wait alpha '^READY alpha'; then pass "alpha listening"; else fail "alpha listening"; node_tail alpha; fi
node_start beta client cgarbage "cluster = \"$map\""

cat > "$cl_tmp/raw.py" <<'PY'
# Raw cluster clients. Wire format (upstream skynet): every packet is a
# 2-byte big-endian length and a body; a request by name is
# 0x80, len(name), name, session (uint32 LE), skynet.pack(args); a response
# is session (uint32 LE), status byte (1 ok, 0 error), data.
import random, socket, struct, sys, time

port = int(sys.argv[1])
passed = failed = 0

def result(ok, name, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS raw: " + name, flush=True)
    else:
        failed += 1
        print("FAIL raw: " + name + (" : " + why if why else ""), flush=True)

def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def frame(body):
    return struct.pack(">H", len(body)) + body

def pack_short_string(s):	# skynet.pack of one string shorter than 32 bytes
    return bytes([4 | (len(s) << 3)]) + s

def request(session, name, args):
    return frame(bytes([0x80, len(name)]) + name + struct.pack("<I", session) + args)

def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data

def read_response(s):
    size = struct.unpack(">H", read_exact(s, 2))[0]
    body = read_exact(s, size)
    return struct.unpack("<I", body[:4])[0], body[4], body[5:]

def whoami(s, session):
    s.sendall(request(session, b"@echo", pack_short_string(b"whoami")))
    return read_response(s)

def answered(s, session):
    try:
        got = whoami(s, session)
    except Exception as e:
        return False, repr(e)
    want = (session, 1, pack_short_string(b"alpha"))
    return got == want, repr(got)

def dropped(s, limit=3.0):
    """True if the peer closes the connection within `limit` seconds
    (any data it sends first is ignored)."""
    s.settimeout(0.2)
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            if not s.recv(65536):
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False

def check_dropped(name, payload):
    s = connect()
    try:
        s.sendall(payload)
    except OSError:
        pass
    result(dropped(s), name + ": connection dropped")
    s.close()

def responses_until_close(s, limit=3.0):
    """Responses read until the peer closes or `limit` seconds of quiet."""
    got = []
    s.settimeout(limit)
    try:
        while True:
            got.append(read_response(s))
    except (EOFError, OSError):
        pass
    return got

# A long-lived well-behaved connection, used again at the end.
keeper = connect()
ok, why = answered(keeper, 1)
result(ok, "a valid request by name is answered", why)

# Random bytes: the first packet is complete (the stream is longer than any
# length) and has no valid request type.
VALID = {0, 1, 2, 3, 4, 0x41, 0x80, 0x81, 0xc1}
seed = 1
while True:
    junk = random.Random(seed).randbytes(140000)
    size = struct.unpack(">H", junk[:2])[0]
    if size > 0 and junk[2] not in VALID:
        break
    seed += 1
check_dropped("random bytes", junk)
check_dropped("packet of unknown type 0xee", frame(b"\xee" + random.Random(2).randbytes(63)))
check_dropped("zero-length packet", b"\x00\x00")
check_dropped("request by handle cut short", frame(b"\x00\x01\x02\x03"))
check_dropped("request by name cut short", frame(b"\x80\x32ab"))
check_dropped("multi-part header of the wrong size", frame(b"\x01" + b"\x00" * 20))
check_dropped("trace packet then garbage", frame(b"\x04tag") + frame(b"\xfe\xfe\xfe"))

# Multi-part request whose parts exceed the announced size: an error answer
# (or a drop), never a success.
s = connect()
name = b"@echo"
head = bytes([0x81, len(name)]) + name + struct.pack("<II", 7, 10)
part = bytes([3]) + struct.pack("<I", 7) + b"x" * 40000
s.sendall(frame(head) + frame(part))
got = responses_until_close(s)
result(all(r[1] == 0 for r in got) and all(r[0] == 7 for r in got),
       "multi-part larger than announced: no success", repr(got)[:200])
s.close()

# The last part of a multi-part request nobody started.
s = connect()
s.sendall(frame(bytes([3]) + struct.pack("<I", 9) + pack_short_string(b"whoami")))
got = responses_until_close(s)
result(all(r[1] == 0 for r in got), "orphan multi-part end: no success", repr(got)[:200])
s.close()

# Connections that stop mid-packet or mid-request and go away.
for what, data in [
        ("packet cut off", b"\x03\xe8" + b"y" * 10),
        ("multi-part request cut off", frame(bytes([0x81, len(name)]) + name + struct.pack("<II", 11, 100000))
            + frame(bytes([2]) + struct.pack("<I", 11) + b"z" * 32768)),
        ("1 MiB of random bytes", random.Random(3).randbytes(1 << 20))]:
    s = connect()
    try:
        s.sendall(data)
    except OSError:
        pass
    s.close()
    ok, why = answered(connect(), 5)
    result(ok, what + ", then a new connection is answered", why)

ok, why = answered(keeper, 2)
result(ok, "the first connection is still answered", why)
ok, why = answered(connect(), 3)
result(ok, "a new connection is answered", why)
print("%d passed, %d failed" % (passed, failed), flush=True)
PY

if node_wait beta '^STEP garbage' 30; then
	timeout -k 2 120 python3 "$cl_tmp/raw.py" "$port" > "$cl_tmp/raw.out" 2>&1
	grep -aE '^(PASS|FAIL) ' "$cl_tmp/raw.out"
	p=$(grep -ac '^PASS ' "$cl_tmp/raw.out"); q=$(grep -ac '^FAIL ' "$cl_tmp/raw.out")
	cl_passed=$((cl_passed + p)); cl_failed=$((cl_failed + q))
	if ! grep -q '^[0-9]* passed, [0-9]* failed' "$cl_tmp/raw.out"; then
		fail "raw client finished" "$(tail -n 5 "$cl_tmp/raw.out")"
	fi
	step_go garbage
else
	fail "beta ready" "no STEP garbage"
fi

node_results beta 60
check "alpha survived" node_alive alpha
finish
