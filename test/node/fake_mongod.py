#!/usr/bin/python3
"""A small MongoDB stand-in speaking OP_MSG, for the skynet.db.mongo tests.

MongoDB itself is not packaged in Debian, so the driver is tested against
this: an in-memory store answering the commands the driver sends (insert,
update, delete, find/getMore/killCursors, count, aggregate ($match, $sort,
$skip, $limit, $count, $group with $sum), indexes (unique, and TTL ones
that expire documents when their collection is next read), findAndModify,
sessions and transactions), with server-side semantics kept
to what the tests need. Every command received is appended to the log file
as one JSON line ({"flags", "cmd": [[key, value], ...]}) in arrival order.

With --user NAME:PASSWORD (repeatable) the server requires SCRAM-SHA-1
authentication (RFC 5802, MongoDB's variant: the password is
md5hex("NAME:mongo:PASSWORD")) before any command but ismaster/hello/ping.

Test hooks: the command {"fake_garbage": 1} is answered with a message of an
unknown opcode, {"fake_close": 1} closes the connection without answering.

Usage: fake_mongod.py <port-file> <command-log> [--user NAME:PASSWORD ...] [--port N]
Listens on 127.0.0.1 at a free port (or N) and writes that port to <port-file>.
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time

OP_MSG = 2013
MORE_TO_COME = 2


class Binary(bytes):
    subtype = 0


class ObjectId(bytes):
    pass


class Date(int):
    pass


class Int64(int):
    pass


class Regex(tuple):
    pass


class Timestamp(tuple):
    pass


class Key(str):
    """minkey / maxkey"""


# ---- bson ----------------------------------------------------------------

def read_cstring(b, i):
    j = b.index(b"\0", i)
    return b[i:j].decode("utf-8"), j + 1


def decode_doc(b, i=0):
    """Returns (list of (key, value) pairs, end offset)."""
    (size,) = struct.unpack_from("<i", b, i)
    end = i + size
    if size < 5 or end > len(b) or b[end - 1] != 0:
        raise ValueError("bad document")
    i += 4
    pairs = []
    while i < end - 1:
        t = b[i]
        key, i = read_cstring(b, i + 1)
        if t == 1:
            (v,) = struct.unpack_from("<d", b, i); i += 8
        elif t == 2:
            (n,) = struct.unpack_from("<i", b, i)
            v = b[i + 4:i + 3 + n].decode("utf-8"); i += 4 + n
        elif t in (3, 4):
            d, i = decode_doc(b, i)
            v = [x for _, x in d] if t == 4 else d
            if t == 3:
                v = Doc(d)
        elif t == 5:
            (n,) = struct.unpack_from("<i", b, i)
            v = Binary(b[i + 5:i + 5 + n]); v.subtype = b[i + 4]; i += 5 + n
        elif t == 7:
            v = ObjectId(b[i:i + 12]); i += 12
        elif t == 8:
            v = b[i] != 0; i += 1
        elif t == 9:
            (n,) = struct.unpack_from("<q", b, i); v = Date(n); i += 8
        elif t == 10:
            v = None
        elif t == 11:
            p, i = read_cstring(b, i)
            o, i = read_cstring(b, i)
            v = Regex((p, o))
        elif t == 16:
            (v,) = struct.unpack_from("<i", b, i); i += 4
        elif t == 17:
            v = Timestamp(struct.unpack_from("<II", b, i)); i += 8
        elif t == 18:
            (n,) = struct.unpack_from("<q", b, i); v = Int64(n); i += 8
        elif t == 255:
            v = Key("minkey")
        elif t == 127:
            v = Key("maxkey")
        else:
            raise ValueError("type %d" % t)
        pairs.append((key, v))
    return pairs, end


class Doc(list):
    """An ordered document: a list of (key, value) pairs with dict helpers."""

    def get(self, key, default=None):
        for k, v in self:
            if k == key:
                return v
        return default

    def __contains__(self, key):
        return any(k == key for k, _ in self)

    def set(self, key, value):
        for n, (k, _) in enumerate(self):
            if k == key:
                self[n] = (key, value)
                return
        self.append((key, value))

    def remove(self, key):
        self[:] = [(k, v) for k, v in self if k != key]


def encode_value(key, v):
    k = key.encode() + b"\0"
    if isinstance(v, bool):
        return b"\x08" + k + (b"\1" if v else b"\0")
    if isinstance(v, Int64):
        return b"\x12" + k + struct.pack("<q", v)
    if isinstance(v, Date):
        return b"\x09" + k + struct.pack("<q", v)
    if isinstance(v, int):
        if -2**31 <= v < 2**31:
            return b"\x10" + k + struct.pack("<i", v)
        return b"\x12" + k + struct.pack("<q", v)
    if isinstance(v, float):
        return b"\x01" + k + struct.pack("<d", v)
    if isinstance(v, Key):
        return (b"\xff" if v == "minkey" else b"\x7f") + k
    if isinstance(v, str):
        s = v.encode()
        return b"\x02" + k + struct.pack("<i", len(s) + 1) + s + b"\0"
    if v is None:
        return b"\x0a" + k
    if isinstance(v, ObjectId):
        return b"\x07" + k + bytes(v)
    if isinstance(v, Binary):
        return b"\x05" + k + struct.pack("<iB", len(v), v.subtype) + bytes(v)
    if isinstance(v, Regex):
        return b"\x0b" + k + v[0].encode() + b"\0" + v[1].encode() + b"\0"
    if isinstance(v, Timestamp):
        return b"\x11" + k + struct.pack("<II", *v)
    if isinstance(v, Doc):
        return b"\x03" + k + encode_doc(v)
    if isinstance(v, list):
        return b"\x04" + k + encode_doc([(str(n), x) for n, x in enumerate(v)])
    raise TypeError(type(v))


def encode_doc(pairs):
    body = b"".join(encode_value(k, v) for k, v in pairs)
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def to_json(v):
    if isinstance(v, Doc):
        return [[k, to_json(x)] for k, x in v]
    if isinstance(v, list):
        return {"array": [to_json(x) for x in v]}
    if isinstance(v, ObjectId):
        return {"oid": v.hex()}
    if isinstance(v, Binary):
        return {"binary": bytes(v).hex(), "subtype": v.subtype}
    if isinstance(v, Int64):
        return {"int64": str(int(v))}
    if isinstance(v, Date):
        return {"date": int(v)}
    if isinstance(v, (Regex, Timestamp)):
        return {type(v).__name__.lower(): list(v)}
    if isinstance(v, Key):
        return {str(v): True}
    return v


# ---- queries ---------------------------------------------------------------

def order_key(v):
    rank = 0 if v is None else 1 if isinstance(v, (int, float)) and not isinstance(v, bool) else 2
    return (rank, v if rank == 1 else str(v))


def matches(doc, query):
    for k, cond in query:
        v = doc.get(k)
        if isinstance(cond, Doc) and cond and cond[0][0].startswith("$"):
            for op, arg in cond:
                if op == "$gt" and not (v is not None and v > arg): return False
                if op == "$gte" and not (v is not None and v >= arg): return False
                if op == "$lt" and not (v is not None and v < arg): return False
                if op == "$lte" and not (v is not None and v <= arg): return False
                if op == "$ne" and v == arg: return False
                if op == "$in" and v not in arg: return False
                if op == "$exists" and (k in doc) != bool(arg): return False
        elif v != cond:
            return False
    return True


def sort_docs(docs, spec):
    for k, direction in reversed(list(spec or [])):
        docs.sort(key=lambda d: order_key(d.get(k)), reverse=direction < 0)
    return docs


def project(doc, projection):
    if not projection:
        return doc
    keep = {k for k, v in projection if v}
    if not keep:
        return Doc((k, v) for k, v in doc if projection.get(k) is None)
    return Doc((k, v) for k, v in doc if k in keep or (k == "_id" and projection.get("_id", 1)))


def group(docs, spec):
    """$group with a constant or "$field" _id and {"$sum": "$field" | number} fields."""
    def value(doc, expr):
        return doc.get(expr[1:]) if isinstance(expr, str) and expr.startswith("$") else expr
    groups = {}
    for d in docs:
        key = value(d, spec.get("_id"))
        out = groups.setdefault(repr(key), Doc([("_id", key)]))
        for name, acc in spec:
            if name != "_id":
                out.set(name, (out.get(name) or 0) + (value(d, acc.get("$sum")) or 0))
    return list(groups.values())


def apply_update(doc, update):
    if update and update[0][0].startswith("$"):
        for op, fields in update:
            for k, v in fields:
                if op == "$set":
                    doc.set(k, v)
                elif op == "$inc":
                    doc.set(k, (doc.get(k) or 0) + v)
                elif op == "$unset":
                    doc.remove(k)
        return doc
    new = Doc([("_id", doc.get("_id"))]) if "_id" in doc else Doc()
    new.extend((k, v) for k, v in update if k != "_id")
    return new


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.colls = {}       # "db.coll" -> list of Doc
        self.indexes = {}     # "db.coll" -> {name: Doc(key), unique}
        self.cursors = {}     # id -> (ns, remaining docs)
        self.next_cursor = 0x1234567812345678  # past 2^53, as real ids are
        self.snapshots = {}   # lsid bytes -> colls snapshot

    def coll(self, ns):
        docs = self.colls.setdefault(ns, [])
        now_ms = time.time() * 1000
        for name, (key, unique, ttl) in self.indexes.get(ns, {}).items():
            if ttl is None:
                continue
            field = key[0][0]
            docs[:] = [d for d in docs if not (isinstance(d.get(field), Date) and d.get(field) + ttl * 1000 < now_ms)]
        return docs

    def duplicate(self, ns, doc, ignore=None):
        for name, (key, unique, _) in self.indexes.get(ns, {}).items():
            if not unique:
                continue
            fields = [k for k, _ in key]
            for other in self.coll(ns):
                if other is not ignore and all(other.get(f) == doc.get(f) for f in fields):
                    return name
        if "_id" in doc:
            for other in self.coll(ns):
                if other is not ignore and other.get("_id") == doc.get("_id"):
                    return "_id_"
        return None

    def open_cursor(self, ns, docs, batch, first):
        out, rest = docs[:batch], docs[batch:]
        cid = 0
        if rest:
            self.next_cursor += 1
            cid = self.next_cursor
            self.cursors[cid] = (ns, rest)
        return Doc([("cursor", Doc([(first, out), ("id", Int64(cid)), ("ns", ns)])), ("ok", 1.0)])


STORE = Store()


def dup_error(ns, index, i=0):
    return Doc([("n", 0), ("writeErrors", [Doc([("index", i), ("code", 11000), (
        "errmsg", "E11000 duplicate key error collection: %s index: %s" % (ns, index))])]), ("ok", 1.0)])


def run(cmd):
    name, arg = cmd[0]
    db = cmd.get("$db", "admin")
    ns = "%s.%s" % (db, arg) if isinstance(arg, str) else db
    s = STORE
    if name in ("ismaster", "isMaster", "hello"):
        return Doc([("ismaster", True), ("maxWireVersion", 17), ("ok", 1.0)])
    if name == "ping":
        return Doc([("ok", 1.0)])
    if name == "insert":
        n = 0
        for i, doc in enumerate(cmd.get("documents")):
            dup = s.duplicate(ns, doc)
            if dup:
                r = dup_error(ns, dup, i); r.set("n", n)
                return r
            s.coll(ns).append(doc)
            n += 1
        return Doc([("n", n), ("ok", 1.0)])
    if name == "update":
        n = modified = 0
        upserted = []
        for st in cmd.get("updates"):
            hits = [d for d in s.coll(ns) if matches(d, st.get("q"))]
            if not st.get("multi"):
                hits = hits[:1]
            for d in hits:
                new = apply_update(Doc(d), st.get("u"))
                dup = s.duplicate(ns, new, ignore=d)
                if dup:
                    return dup_error(ns, dup)
                d[:] = new
                n += 1; modified += 1
            if not hits and st.get("upsert"):
                new = apply_update(Doc([(k, v) for k, v in st.get("q") if not isinstance(v, Doc)]), st.get("u"))
                if "_id" not in new:
                    new.insert(0, ("_id", ObjectId(os.urandom(12))))
                s.coll(ns).append(new)
                upserted.append(Doc([("index", 0), ("_id", new.get("_id"))]))
                n += 1
        r = Doc([("n", n), ("nModified", modified)])
        if upserted:
            r.append(("upserted", upserted))
        r.append(("ok", 1.0))
        return r
    if name == "delete":
        n = 0
        for st in cmd.get("deletes"):
            hits = [d for d in s.coll(ns) if matches(d, st.get("q"))]
            if st.get("limit") == 1:
                hits = hits[:1]
            s.colls[ns] = [d for d in s.coll(ns) if not any(d is h for h in hits)]
            n += len(hits)
        return Doc([("n", n), ("ok", 1.0)])
    if name == "find":
        docs = [d for d in s.coll(ns) if matches(d, cmd.get("filter") or [])]
        sort_docs(docs, cmd.get("sort"))
        docs = docs[cmd.get("skip") or 0:]
        if cmd.get("limit"):
            docs = docs[:cmd.get("limit")]
        docs = [project(d, cmd.get("projection")) for d in docs]
        return s.open_cursor(ns, docs, cmd.get("batchSize") or 101, "firstBatch")
    if name == "getMore":
        cid = int(arg)
        if cid not in s.cursors:
            return Doc([("ok", 0.0), ("errmsg", "cursor id %d not found" % cid), ("code", 43)])
        cns, rest = s.cursors.pop(cid)
        batch = cmd.get("batchSize") or 101
        out, rest = rest[:batch], rest[batch:]
        if rest:
            s.cursors[cid] = (cns, rest)
        else:
            cid = 0
        return Doc([("cursor", Doc([("nextBatch", out), ("id", Int64(cid)), ("ns", cns)])), ("ok", 1.0)])
    if name == "killCursors":
        for cid in cmd.get("cursors"):
            s.cursors.pop(int(cid), None)
        return Doc([("ok", 1.0)])
    if name == "count":
        docs = [d for d in s.coll(ns) if matches(d, cmd.get("query") or [])]
        docs = docs[cmd.get("skip") or 0:]
        if cmd.get("limit"):
            docs = docs[:cmd.get("limit")]
        return Doc([("n", len(docs)), ("ok", 1.0)])
    if name == "aggregate":
        docs = list(s.coll(ns))
        for stage in cmd.get("pipeline"):
            op, a = stage[0]
            if op == "$match":
                docs = [d for d in docs if matches(d, a)]
            elif op == "$sort":
                sort_docs(docs, a)
            elif op == "$skip":
                docs = docs[a:]
            elif op == "$limit":
                docs = docs[:a]
            elif op == "$count":
                docs = [Doc([(a, len(docs))])]
            elif op == "$group":
                docs = group(docs, a)
        batch = (cmd.get("cursor") or Doc()).get("batchSize") or 101
        return s.open_cursor(ns, docs, batch, "firstBatch")
    if name == "createIndexes":
        for idx in cmd.get("indexes"):
            s.indexes.setdefault(ns, {})[idx.get("name")] = (
                idx.get("key"), bool(idx.get("unique")), idx.get("expireAfterSeconds"))
        return Doc([("ok", 1.0)])
    if name == "dropIndexes":
        if cmd.get("index") == "*":
            s.indexes.pop(ns, None)
        else:
            s.indexes.get(ns, {}).pop(cmd.get("index"), None)
        return Doc([("ok", 1.0)])
    if name == "drop":
        if ns not in s.colls:
            return Doc([("ok", 0.0), ("errmsg", "ns not found"), ("code", 26)])
        s.colls.pop(ns, None)
        s.indexes.pop(ns, None)
        return Doc([("ns", ns), ("ok", 1.0)])
    if name == "findAndModify":
        hits = sort_docs([d for d in s.coll(ns) if matches(d, cmd.get("query"))], cmd.get("sort"))
        old = hits[0] if hits else None
        value = None
        if old is not None and cmd.get("remove"):
            s.colls[ns] = [d for d in s.coll(ns) if d is not old]
            value = old
        elif old is not None:
            before = Doc(old)
            old[:] = apply_update(Doc(old), cmd.get("update"))
            value = old if cmd.get("new") else before
        elif cmd.get("upsert"):
            new = apply_update(Doc([(k, v) for k, v in cmd.get("query") if not isinstance(v, Doc)]), cmd.get("update"))
            if "_id" not in new:
                new.insert(0, ("_id", ObjectId(os.urandom(12))))
            s.coll(ns).append(new)
            value = new if cmd.get("new") else None
        return Doc([("lastErrorObject", Doc([("n", 1 if value is not None or old is not None else 0)])),
                    ("value", value), ("ok", 1.0)])
    if name == "startSession":
        uuid = Binary(os.urandom(16)); uuid.subtype = 4
        return Doc([("id", Doc([("id", uuid)])), ("timeoutMinutes", 30), ("ok", 1.0)])
    if name == "endSessions":
        return Doc([("ok", 1.0)])
    if name in ("commitTransaction", "abortTransaction"):
        lsid = bytes(cmd.get("lsid").get("id"))
        snapshot = s.snapshots.pop(lsid, None)
        if snapshot is None:
            return Doc([("ok", 0.0), ("errmsg", "no transaction in progress"), ("code", 251)])
        if name == "abortTransaction":
            s.colls = snapshot
        return Doc([("ok", 1.0)])
    return Doc([("ok", 0.0), ("errmsg", "no such command: '%s'" % name), ("code", 59)])


def transaction_start(cmd):
    if cmd.get("startTransaction"):
        lsid = bytes(cmd.get("lsid").get("id"))
        STORE.snapshots[lsid] = {ns: [Doc(d) for d in docs] for ns, docs in STORE.colls.items()}


# ---- SCRAM-SHA-1 ---------------------------------------------------------------

USERS = {}  # name -> password
SCRAM_ITERATIONS = 4096
OPEN_COMMANDS = {"ismaster", "isMaster", "hello", "ping", "saslStart", "saslContinue"}


def sasl_fields(text):
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def b64(data):
    return base64.b64encode(data).decode()


def auth_failed():
    return Doc([("ok", 0.0), ("errmsg", "Authentication failed."), ("code", 18)])


class Session:
    """One connection's authentication state."""

    def __init__(self):
        self.authenticated = not USERS
        self.scram = None

    def sasl_start(self, cmd):
        if cmd.get("mechanism") != "SCRAM-SHA-1":
            return auth_failed()
        client_first = base64.b64decode(cmd.get("payload")).decode()
        bare = client_first.split(",", 2)[2]
        fields = sasl_fields(bare)
        user = fields.get("n", "").replace("=2C", ",").replace("=3D", "=")
        if user not in USERS:
            return auth_failed()
        salt = os.urandom(16)
        nonce = fields["r"] + b64(os.urandom(18))
        server_first = "r=%s,s=%s,i=%d" % (nonce, b64(salt), SCRAM_ITERATIONS)
        digest = hashlib.md5(("%s:mongo:%s" % (user, USERS[user])).encode()).hexdigest()
        salted = hashlib.pbkdf2_hmac("sha1", digest.encode(), salt, SCRAM_ITERATIONS)
        self.scram = (bare, server_first, nonce, salted)
        return Doc([("conversationId", 1), ("done", False), ("payload", b64(server_first.encode())), ("ok", 1.0)])

    def sasl_continue(self, cmd):
        if self.scram is None:
            return Doc([("conversationId", 1), ("done", True), ("payload", ""), ("ok", 1.0)]) \
                if self.authenticated else auth_failed()
        bare, server_first, nonce, salted = self.scram
        self.scram = None
        final = base64.b64decode(cmd.get("payload")).decode()
        without_proof, _, proof = final.rpartition(",p=")
        if sasl_fields(without_proof).get("r") != nonce:
            return auth_failed()
        auth_message = ",".join((bare, server_first, without_proof)).encode()
        client_key = hmac.new(salted, b"Client Key", "sha1").digest()
        signature = hmac.new(hashlib.sha1(client_key).digest(), auth_message, "sha1").digest()
        expected = bytes(a ^ b for a, b in zip(client_key, signature))
        if not hmac.compare_digest(expected, base64.b64decode(proof)):
            return auth_failed()
        server_key = hmac.new(salted, b"Server Key", "sha1").digest()
        verifier = "v=" + b64(hmac.new(server_key, auth_message, "sha1").digest())
        self.authenticated = True
        return Doc([("conversationId", 1), ("done", True), ("payload", b64(verifier.encode())), ("ok", 1.0)])

    def run(self, cmd):
        name = cmd[0][0]
        if name == "saslStart":
            return self.sasl_start(cmd)
        if name == "saslContinue":
            return self.sasl_continue(cmd)
        if not self.authenticated and name not in OPEN_COMMANDS:
            return Doc([("ok", 0.0), ("errmsg", "command %s requires authentication" % name), ("code", 13)])
        return run(cmd)


# ---- wire -------------------------------------------------------------------

def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        part = conn.recv(n - len(data))
        if not part:
            raise EOFError
        data += part
    return data


def serve(conn, log):
    session = Session()
    try:
        while True:
            (length,) = struct.unpack("<i", recv_exact(conn, 4))
            msg = recv_exact(conn, length - 4)
            request_id, _, opcode, flags = struct.unpack_from("<iiiI", msg, 0)
            if opcode != OP_MSG:
                break
            i = 16
            cmd = Doc()
            while i < len(msg):
                kind = msg[i]
                if kind == 0:
                    body, i = decode_doc(msg, i + 1)
                    cmd.extend(body)
                else:
                    (size,) = struct.unpack_from("<i", msg, i + 1)
                    ident, j = read_cstring(msg, i + 5)
                    docs = []
                    while j < i + 1 + size:
                        d, j = decode_doc(msg, j)
                        docs.append(Doc(d))
                    cmd.append((ident, docs))
                    i += 1 + size
            with STORE.lock:
                log.write(json.dumps({"flags": flags, "cmd": to_json(cmd)}) + "\n")
                log.flush()
                name = cmd[0][0]
                if name == "fake_close":
                    break
                if name == "fake_garbage":
                    conn.sendall(struct.pack("<iiii", 20, 1, request_id, 1) + b"\0\0\0\0")
                    continue
                transaction_start(cmd)
                reply = session.run(cmd)
            if flags & MORE_TO_COME:
                continue
            body = struct.pack("<IB", 0, 0) + encode_doc(reply)
            header = struct.pack("<iii", 1, request_id, OP_MSG)
            conn.sendall(struct.pack("<i", 4 + len(header) + len(body)) + header + body)
    except (EOFError, ConnectionError):
        pass
    finally:
        conn.close()


def main():
    port_file, log_file = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    port = 0
    while args:
        flag, value = args[0], args[1]
        args = args[2:]
        if flag == "--user":
            name, _, password = value.partition(":")
            USERS[name] = password
        elif flag == "--port":
            port = int(value)
        else:
            sys.exit("unknown option " + flag)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    log = open(log_file, "a")
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, log), daemon=True).start()


if __name__ == "__main__":
    main()
