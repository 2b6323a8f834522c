"""Driven by test/node/fdlimit.sh: floods a node's listen port past its fd
limit and checks that it keeps serving, stays idle, and recovers.
Usage: fdlimit_client.py <port> <node-pid> <log-file>"""
import os
import socket
import sys
import time

port, pid, logfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
results = []


def report(name, ok, why=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(5)
    return s


def echo(s, text):
    try:
        s.sendall(text.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                return None
            data += chunk
        return data.decode().strip()
    except OSError:
        return None


def cpu_seconds():
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_has(text):
    with open(logfile, errors="replace") as f:
        return text in f.read()


def wait(pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


first = connect()
report("echo before the flood", echo(first, "hello") == "hello")

# Open far more connections than the node has fds; the ones it accepted echo.
flood = []
for i in range(300):
    try:
        flood.append(connect())
    except OSError:
        break
served = [s for s in flood if echo(s, "f") == "f"]
refused = len(flood) - len(served)
report("the node refuses connections past its fd limit (%d served, %d refused)" % (len(served), refused),
       len(served) > 0 and refused > 0, "served=%d refused=%d" % (len(served), refused))
report("the refusal is logged", wait(lambda: log_has("Too many open files"), 10))
report("the first connection is still served at the limit", echo(first, "still") == "still")

# At the limit with connections waiting to be accepted: no busy loop.
waiting = []
for i in range(20):
    try:
        waiting.append(connect())
    except OSError:
        break
c0, t0 = cpu_seconds(), time.time()
time.sleep(2)
used = (cpu_seconds() - c0) / (time.time() - t0)
report("CPU stays low at the limit (%.0f%% of a core)" % (used * 100), used < 0.3, "%.2f" % used)

# Free the fds: new connections are accepted again.
for s in served + waiting:
    s.close()
for s in flood:
    s.close()


def accepted_again():
    try:
        s = connect()
    except OSError:
        return False
    ok = echo(s, "again") == "again"
    s.close()
    return ok


report("accepts again once fds are free", wait(accepted_again, 20))
report("the first connection survived", echo(first, "end") == "end")
first.close()
print("%d passed, %d failed" % (results.count(True), results.count(False)))
