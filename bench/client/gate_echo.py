#!/usr/bin/env python3
"""gate_echo load client in plain python (selectors, one thread), the same
client design as the reference harness so the figures compare: CONNS
connections to 127.0.0.1:PORT, each with one 2-byte big-endian length framed
package in flight, re-sent as soon as its echo is back.
Prints "BENCH gate_echo <round trips/s> rt/s".

usage: gate_echo.py PORT CONNS SECONDS PAYLOAD
"""
import selectors
import socket
import sys
import time


def connect(port, deadline):
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)


def main(argv):
    port, nconn = int(argv[1]), int(argv[2])
    duration, size = float(argv[3]), int(argv[4])
    frame = size.to_bytes(2, "big") + bytes((i * 31 + 9) % 256 for i in range(size))
    width = len(frame)

    sel = selectors.DefaultSelector()
    socks = []
    deadline = time.monotonic() + 10
    for _ in range(nconn):
        s = connect(port, deadline)
        if s is None:
            print("BENCH_ERROR gate_echo cannot connect to 127.0.0.1:%d" % port, flush=True)
            return 1
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, bytearray())
        socks.append(s)

    time.sleep(0.2)  # the gate hands connections to agents asynchronously
    for s in socks:
        s.sendall(frame)

    echoes = 0
    verified = False
    begin = time.monotonic() + 0.5  # warm-up
    stop = begin + duration
    at_begin = t_begin = None
    while True:
        now = time.monotonic()
        if at_begin is None and now >= begin:
            at_begin, t_begin = echoes, now
        if now >= stop:
            break
        for key, _ in sel.select(timeout=0.5):
            s, pending = key.fileobj, key.data
            chunk = s.recv(262144)
            if not chunk:
                print("BENCH_ERROR gate_echo connection closed by the server", flush=True)
                return 1
            pending += chunk
            while len(pending) >= width:
                if not verified:
                    if pending[:width] != frame:
                        print("BENCH_ERROR gate_echo echo differs from the request", flush=True)
                        return 1
                    verified = True
                del pending[:width]
                echoes += 1
                s.send(frame)
    elapsed = time.monotonic() - t_begin
    n = echoes - at_begin
    print("# gate_echo (python client): %d round trips over %d connections in %.2f s (%d-byte payload)"
          % (n, nconn, elapsed, size), flush=True)
    print("BENCH gate_echo %.2f rt/s" % (n / elapsed), flush=True)
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv))
