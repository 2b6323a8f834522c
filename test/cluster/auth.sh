#!/usr/bin/env bash
# Cluster authentication (cluster_secret): alpha requires the secret, omega
# has none. beta (right secret) calls alpha; gamma (wrong secret) and delta
# (no secret) are refused, and alpha says so naming their address; beta
# calling omega fails (no challenge comes). A raw client shows that a proof
# recorded on one connection is refused on the next, while a fresh one passes.
# Usage: test/cluster/auth.sh <skynet-binary>
source "$(dirname "$0")/common.bash"

map=$cl_tmp/clustermap.lua
read -r pa po pb pg pd <<<"$(free_ports 5)"
cluster_map "$map" alpha="$pa" omega="$po" beta="$pb" gamma="$pg" delta="$pd"
printf 'open sesame\n' > "$cl_tmp/secret"

node_start alpha server cnode "cluster = \"$map\"" "cluster_secret_file = \"$cl_tmp/secret\""
node_start omega server cnode "cluster = \"$map\""
for n in alpha omega; do
	if node_wait $n "^READY $n"; then pass "$n listening"; else fail "$n listening"; node_tail $n; fi
done

node_start beta client cauth "cluster = \"$map\"" 'cluster_secret = "open sesame"' 'auth_targets = "alpha=ok omega=fail"'
node_results beta 60
node_start gamma client cauth "cluster = \"$map\"" 'cluster_secret = "open sesame!"' 'auth_targets = "alpha=fail"'
node_results gamma 60
node_start delta client cauth "cluster = \"$map\"" 'auth_targets = "alpha=fail"'
node_results delta 60

check "alpha logs the refusals with the remote address" \
	node_wait alpha "cluster auth failed: (wrong proof|malformed proof|no proof in time)" 10
refusals=$(grep -acE "Drop cluster connection [0-9]+ from 127\.0\.0\.1:[0-9]+: cluster auth failed" "$cl_tmp/alpha.out")
if [ "$refusals" -ge 2 ]; then pass "both refused clients named ($refusals lines)"; else fail "refused clients named" "$refusals lines"; fi

# Replay: compute a proof for one connection's challenge, send it on another.
if /usr/bin/python3 - "$pa" <<'PY'
import hmac, hashlib, os, socket, struct, sys
port = int(sys.argv[1]); secret = b"open sesame"
MAGIC = b"skynet-cluster-auth-1\0"
def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: return None
        b += c
    return b
def frame(p): return struct.pack(">H", len(p)) + p
def challenge(s):
    n = struct.unpack(">H", recv_exact(s, 2))[0]
    c = recv_exact(s, n)
    assert c[:len(MAGIC)] == MAGIC, c
    return c[len(MAGIC):]
def proof(nl, nc): return nc + hmac.new(secret, b"connector" + nl + nc, hashlib.sha1).digest()
s1 = socket.create_connection(("127.0.0.1", port), timeout=10)
nl1 = challenge(s1); nc = os.urandom(16); recorded = proof(nl1, nc)
s1.sendall(frame(recorded))
n = struct.unpack(">H", recv_exact(s1, 2))[0]
assert recv_exact(s1, n) == hmac.new(secret, b"listener" + nc + nl1, hashlib.sha1).digest(), "listener proof"
s2 = socket.create_connection(("127.0.0.1", port), timeout=10)
challenge(s2)
s2.sendall(frame(recorded))
assert s2.recv(64) == b"", "a replayed proof must close the connection"
print("replay refused")
PY
then pass "a fresh proof passes, a replayed one is refused"; else fail "replay"; fi

check "alpha survived" node_alive alpha
check "omega survived" node_alive omega
finish
