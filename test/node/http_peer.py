#!/usr/bin/python3
"""Real peers for test/node/http.sh (Debian's python3 and python3-websockets).

  http_peer.py http-server PORT [CERT KEY]   HTTP(S) server for our httpc
  http_peer.py ws-server PORT [CERT KEY]     websocket echo server for our client
  http_peer.py ws-client URL                 checks our websocket server; prints PASS/FAIL

Servers print READY once listening and run until killed.
"""
import asyncio
import http.server
import os
import ssl
import sys


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body, code=200, extra=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Peer", "python")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"alpha-", b"beta-", b"gamma"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Trailer: done\r\n\r\n")
        elif self.path == "/until-close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"no length, ends at close")
            self.close_connection = True
        elif self.path.startswith("/big/"):
            n = int(self.path[5:])
            self.reply(bytes(i % 251 for i in range(n)))
        elif self.path == "/missing":
            self.reply(b"nope", 404)
        else:
            host = self.headers.get("Host", "")
            self.reply(("GET %s host=%s" % (self.path, host)).encode())

    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ctype = self.headers.get("Content-Type", "")
        self.reply(b"POST " + ctype.encode() + b" " + body)

    def do_HEAD(self):
        self.send_response(204)
        self.end_headers()


def http_server(port, cert=None, key=None):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    if cert:
        srv.socket = tls_context(cert, key).wrap_socket(srv.socket, server_side=True)
    print("READY", flush=True)
    srv.serve_forever()


async def ws_echo(ws, path):
    async for msg in ws:
        if msg == "close-me":
            await ws.close(4000, "closing as asked")
            return
        await ws.send(msg)


def ws_server(port, cert=None, key=None):
    import websockets

    async def main():
        ctx = tls_context(cert, key) if cert else None
        async with websockets.serve(ws_echo, "127.0.0.1", int(port), ssl=ctx, max_size=None):
            print("READY", flush=True)
            await asyncio.Future()

    asyncio.run(main())


def ws_client(url):
    import websockets
    failed = 0

    def check(name, ok, detail=""):
        nonlocal failed
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail), flush=True)
        failed += 0 if ok else 1

    async def main():
        ctx = None
        if url.startswith("wss:"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        async with websockets.connect(url, ssl=ctx, max_size=None,
                                      extra_headers={"X-Real-IP": "192.0.2.7"}) as ws:
            await ws.send("hello")
            got = await asyncio.wait_for(ws.recv(), 10)
            check("text echo", got == "hello", repr(got))
            blob = os.urandom(70000)
            await ws.send(blob)
            got = await asyncio.wait_for(ws.recv(), 10)
            check("binary echo", got == blob, "%d bytes" % len(got))
            part = os.urandom(64 * 1024)
            await ws.send([part] * 16)  # one 1 MiB message in 16 fragments
            got = await asyncio.wait_for(ws.recv(), 30)
            check("1 MiB fragmented message echoed", got == part * 16, "%d bytes" % len(got))
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 10)
            check("ping answered by pong", True)
            await ws.send("real-ip?")
            got = await asyncio.wait_for(ws.recv(), 10)
            check("server saw X-Real-IP", got == "192.0.2.7", repr(got))
            await ws.close(1000, "client done")
            check("close handshake completes", ws.close_code == 1000, "code %r" % ws.close_code)

    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001 - any failure is a test failure
        check("websocket session", False, repr(e))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"http-server": http_server, "ws-server": ws_server, "ws-client": ws_client}[cmd](*args)
