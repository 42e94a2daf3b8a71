#!/usr/bin/env python3
"""msrp_relay.py - an MSRP relay (RFC 4976) for tests/test_session_e2e.c.

A real protocol peer, not a stub: it listens with TLS (msrps) on 127.0.0.1,
authenticates clients with AUTH and HTTP Digest (RFC 4976 section 5, RFC 2617:
qop=auth, MD5; a 401 challenge first, then the Authorization checked, 403 when
it is wrong, 423 with Min-Expires when the Expires asked is below the minimum),
grants a Use-Path (msrps://127.0.0.1:PORT/<session>;tcp) with Expires, and
forwards requests between two connections (RFC 4976 section 6, 7): the first
To-Path URI must be one of its granted Use-Paths (else 481), a request from an
authenticated client must come From-Path the URI it authenticated with or
another of the same scheme, host and port (the same client's next session on
its kept connection, RFC 4976 section 6; else 403), and the forwarded copy has that URI taken off To-Path and the relay's
put first in From-Path. SENDs are answered hop by hop with the next hop's
status (the relay's own transaction towards it); REPORTs are forwarded
without a response. The next hop is the client of a granted session (its
authenticated connection) or a new connection to the URI's host and port
(TLS for msrps, the peer not verified: the receiver is the test's).

Usage: msrp_relay.py PORT_FILE STATUS_FILE CERT KEY USER PASSWORD_FILE MIN_EXPIRES [PORT [mute]]
PORT: listen there (0 or absent: any free port; a restart reuses the first's).
mute: read AUTHs (counted as "auth_ignored") and never answer them.
The password is read from PASSWORD_FILE at each AUTH (a test changes it).
STATUS_FILE gets the counters as "name value" lines after every change.
"""
import hashlib
import os
import secrets
import socket
import ssl
import sys
import threading

REALM = "relay.test"


class Counters:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.v = {k: 0 for k in ("challenged", "authorized", "refused", "interval_too_short",
                                 "sends_forwarded", "responses_forwarded", "reports_forwarded",
                                 "path_errors", "next_hop_failures", "auth_ignored")}
        self.write()

    def add(self, name):
        with self.lock:
            self.v[name] += 1
            self.write()

    def write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            for k, n in self.v.items():
                f.write(f"{k} {n}\n")
        os.replace(tmp, self.path)


def authority(uri):
    """scheme://host:port of an MSRP URI."""
    scheme, _, rest = uri.partition("://")
    return scheme + "://" + rest.split("/", 1)[0].split(";", 1)[0]


def new_tid(body=b""):
    while True:
        t = secrets.token_hex(5)
        if b"-------" + t.encode() not in body:
            return t


class Msg:
    """One MSRP message (RFC 4975 section 7 framing)."""

    def __init__(self, first, headers, body, flag):
        self.first = first
        parts = first.split(" ", 2)
        self.tid = parts[1]
        self.is_response = parts[2][:3].isdigit()
        self.method = None if self.is_response else parts[2]
        self.status = int(parts[2][:3]) if self.is_response else 0
        self.comment = parts[2][4:] if self.is_response else ""
        self.headers = headers          # [(name, value)] in order
        self.body = body                # bytes or None
        self.flag = flag

    def get(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None


def parse(buf):
    """(Msg, bytes used) or (None, 0) when more bytes are needed."""
    eol = buf.find(b"\r\n")
    if eol < 0:
        return None, 0
    first = buf[:eol].decode("utf-8")
    if not first.startswith("MSRP "):
        raise ValueError("not MSRP: " + first[:40])
    tid = first.split(" ")[1].encode()
    end = b"\r\n-------" + tid
    k = buf.find(end, eol)
    while k >= 0:
        f = k + len(end)
        if len(buf) < f + 3:
            return None, 0
        if buf[f:f + 1] in (b"$", b"+", b"#") and buf[f + 1:f + 3] == b"\r\n":
            break
        k = buf.find(end, k + 1)
    if k < 0:
        return None, 0
    section = buf[eol + 2:k]
    sep = section.find(b"\r\n\r\n")
    if sep >= 0:
        head, body = section[:sep], section[sep + 4:]
    else:
        head, body = section, None
    headers = []
    for line in head.decode("utf-8").split("\r\n"):
        if line:
            n, _, v = line.partition(":")
            headers.append((n.strip(), v.strip()))
    return Msg(first, headers, body, chr(buf[k + len(end)])), k + len(end) + 3


def build(first_tid, start, headers, body=None, flag="$"):
    out = f"MSRP {first_tid} {start}\r\n".encode()
    for n, v in headers:
        out += f"{n}: {v}\r\n".encode()
    if body is not None:
        out += b"\r\n" + body + b"\r\n"
    return out + f"-------{first_tid}{flag}\r\n".encode()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def digest_params(v):
    out = {}
    i = 0
    while i < len(v):
        while i < len(v) and v[i] in " ,\t":
            i += 1
        j = v.find("=", i)
        if j < 0:
            break
        name = v[i:j].strip().lower()
        i = j + 1
        if i < len(v) and v[i] == '"':
            e = v.find('"', i + 1)
            out[name] = v[i + 1:e]
            i = e + 1
        else:
            e = v.find(",", i)
            e = len(v) if e < 0 else e
            out[name] = v[i:e].strip()
            i = e
    return out


class Conn:
    def __init__(self, relay, sock, outbound):
        self.relay = relay
        self.sock = sock
        self.outbound = outbound
        self.wlock = threading.Lock()
        self.nonce = None
        self.client_uri = None          # the From-Path URI it authenticated with
        self.client_uris = set()        # it and the client's later session URIs
        self.sessions = set()

    def send(self, data):
        with self.wlock:
            self.sock.sendall(data)

    def run(self):
        buf = b""
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    break
                buf += d
                while True:
                    m, used = parse(buf)
                    if not m:
                        break
                    buf = buf[used:]
                    self.relay.handle(self, m)
        except (OSError, ValueError, ssl.SSLError) as e:
            sys.stderr.write(f"relay: connection ends: {e}\n")
        finally:
            self.relay.gone(self)
            try:
                self.sock.close()
            except OSError:
                pass


class Relay:
    def __init__(self, port, counters, ctx, user, password_file, min_expires, mute=False):
        self.port = port
        self.mute = mute
        self.uri = f"msrps://127.0.0.1:{port};tcp"
        self.c = counters
        self.ctx = ctx
        self.user = user
        self.password_file = password_file
        self.min_expires = min_expires
        self.lock = threading.Lock()
        self.sessions = {}              # session id -> the client's Conn
        self.pending = {}               # our tid -> (previous Conn, its tid, its From-Path first URI)
        self.out = {}                   # "host:port" -> outbound Conn

    def session_uri(self, sid):
        return f"msrps://127.0.0.1:{self.port}/{sid};tcp"

    def own_session(self, uri):
        prefix = f"msrps://127.0.0.1:{self.port}/"
        if uri.startswith(prefix) and uri.endswith(";tcp"):
            return uri[len(prefix):-4]
        return None

    def respond(self, conn, m, status, comment, extra=()):
        to = m.get("From-Path").split(" ")[0]
        conn.send(build(m.tid, f"{status} {comment}", [("To-Path", to), ("From-Path", self.uri)] + list(extra)))

    def handle(self, conn, m):
        if m.is_response:
            self.response(conn, m)
        elif m.method == "AUTH":
            self.auth(conn, m)
        else:
            self.forward(conn, m)

    def auth(self, conn, m):
        if self.mute:
            self.c.add("auth_ignored")
            return
        to_path = m.get("To-Path") or ""
        from_path = (m.get("From-Path") or "").split(" ")
        if to_path != self.uri or len(from_path) != 1:
            self.c.add("path_errors")
            self.respond(conn, m, 400, "Bad Request")
            return
        a = m.get("Authorization")
        if not a or not conn.nonce:
            conn.nonce = secrets.token_hex(16)
            self.c.add("challenged")
            self.respond(conn, m, 401, "Unauthorized", [("WWW-Authenticate",
                         f'Digest realm="{REALM}", nonce="{conn.nonce}", qop="auth", algorithm=MD5')])
            return
        p = digest_params(a[len("Digest"):]) if a.startswith("Digest") else {}
        with open(self.password_file) as f:
            password = f.read().strip()
        ha1 = md5(f"{self.user}:{REALM}:{password}")
        ha2 = md5(f"AUTH:{p.get('uri', '')}")
        want = md5(f"{ha1}:{conn.nonce}:{p.get('nc', '')}:{p.get('cnonce', '')}:auth:{ha2}")
        if (p.get("username") != self.user or p.get("realm") != REALM or p.get("nonce") != conn.nonce
                or p.get("uri") != self.uri or p.get("qop") != "auth" or p.get("response") != want):
            self.c.add("refused")
            self.respond(conn, m, 403, "Forbidden")
            return
        exp = m.get("Expires")
        if exp is not None and int(exp) < self.min_expires:
            self.c.add("interval_too_short")
            self.respond(conn, m, 423, "Interval Out-of-Bounds", [("Min-Expires", str(self.min_expires))])
            return
        sid = secrets.token_hex(6)
        with self.lock:
            self.sessions[sid] = conn
        conn.client_uri = from_path[0]
        conn.client_uris.add(from_path[0])
        conn.sessions.add(sid)
        self.c.add("authorized")
        self.respond(conn, m, 200, "OK", [("Use-Path", self.session_uri(sid)),
                                          ("Expires", exp if exp is not None else "3600")])

    def next_conn(self, sid, uri):
        """The connection towards uri, the hop after our session sid's URI."""
        with self.lock:
            client = self.sessions.get(sid)
        if client and uri in client.client_uris:
            return client                 # back to the client, on its authenticated connection
        scheme, rest = uri.split("://", 1)
        auth = rest.split("/", 1)[0].split(";", 1)[0]
        with self.lock:
            c = self.out.get(auth)
        if c:
            return c
        host, port = auth.rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        s.settimeout(None)
        if scheme == "msrps":
            cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            cctx.check_hostname = False
            cctx.verify_mode = ssl.CERT_NONE
            s = cctx.wrap_socket(s)
        c = Conn(self, s, True)
        with self.lock:
            self.out[auth] = c
        threading.Thread(target=c.run, daemon=True).start()
        return c

    def forward(self, conn, m):
        to = (m.get("To-Path") or "").split(" ")
        frm = (m.get("From-Path") or "").split(" ")
        sid = self.own_session(to[0])
        with self.lock:
            known = sid is not None and sid in self.sessions
        if not known or len(to) < 2:
            self.c.add("path_errors")
            if m.method != "REPORT":
                self.respond(conn, m, 481, "No Such Session")
            return
        if not conn.outbound and (conn.client_uri is None or len(frm) != 1
                                  or authority(frm[0]) != authority(conn.client_uri)):
            self.c.add("path_errors")     # an inbound request not from its authenticated client
            if m.method != "REPORT":
                self.respond(conn, m, 403, "Forbidden")
            return
        if not conn.outbound:
            conn.client_uris.add(frm[0])  # the client's session on its kept connection
        try:
            nxt = self.next_conn(sid, to[1])
        except OSError:
            nxt = None
        if not nxt:
            self.c.add("next_hop_failures")
            if m.method != "REPORT":
                self.respond(conn, m, 481, "No Such Session")
            return
        headers = [("To-Path", " ".join(to[1:])), ("From-Path", " ".join([to[0]] + frm))]
        headers += [(n, v) for n, v in m.headers if n.lower() not in ("to-path", "from-path")]
        tid = new_tid(m.body or b"")
        if m.method == "SEND":
            with self.lock:
                self.pending[tid] = (conn, m.tid, frm[0])
        nxt.send(build(tid, m.method, headers, m.body, m.flag))
        self.c.add("sends_forwarded" if m.method == "SEND" else "reports_forwarded")

    def response(self, conn, m):
        with self.lock:
            p = self.pending.pop(m.tid, None)
        if not p:
            return
        prev, prev_tid, prev_from = p
        prev.send(build(prev_tid, f"{m.status} {m.comment}".rstrip(),
                        [("To-Path", prev_from), ("From-Path", self.uri)]))
        self.c.add("responses_forwarded")

    def gone(self, conn):
        with self.lock:
            for sid in conn.sessions:
                self.sessions.pop(sid, None)
            for k in [k for k, v in self.out.items() if v is conn]:
                del self.out[k]


def main():
    port_file, status_file, cert, key, user, password_file, min_expires = sys.argv[1:8]
    want_port = int(sys.argv[8]) if len(sys.argv) > 8 else 0
    mute = len(sys.argv) > 9 and sys.argv[9] == "mute"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", want_port))
    ls.listen(16)
    port = ls.getsockname()[1]
    relay = Relay(port, Counters(status_file), ctx, user, password_file, int(min_expires), mute)
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.replace(port_file + ".tmp", port_file)
    while True:
        s, _ = ls.accept()
        try:
            s = ctx.wrap_socket(s, server_side=True)
        except (OSError, ssl.SSLError) as e:
            sys.stderr.write(f"relay: TLS handshake failed: {e}\n")
            s.close()
            continue
        c = Conn(relay, s, False)
        threading.Thread(target=c.run, daemon=True).start()


if __name__ == "__main__":
    main()
