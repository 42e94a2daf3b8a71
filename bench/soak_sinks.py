#!/usr/bin/env python3
"""soak_sinks.py - the receiving ends of bench/soak.sh that are not sipp or
the SMSC, in one process:

  - the UDP Push OTA sink: a socket on 127.0.0.1:UDP-PORT (ppgd's [ota]
    udp_port); each datagram is a WSP Push whose content starts with the
    push-id (soak-...@pi.example), logged as "push-id time" to DIR/udp.log;
  - the PI's result notification listener: HTTP on 127.0.0.1:HTTP-PORT; each
    POSTed resultnotification-message is logged as
    "push-id message-state code time" to DIR/notify.log and answered 200
    with a resultnotification-response (code 1000).

DIR/sinks.count is rewritten every second: "udp=N notify=N".
Usage: soak_sinks.py DIR UDP-PORT HTTP-PORT; stops on SIGTERM.
"""
import http.server
import os
import re
import signal
import socket
import sys
import threading
import time

ID_RE = re.compile(rb"soak-[A-Za-z0-9_.-]+@pi\.example")
ATTR_RE = re.compile(rb'([a-z-]+)="([^"]*)"')

out_dir, udp_port, http_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
counts = {"udp": 0, "notify": 0}
udp_log = open(os.path.join(out_dir, "udp.log"), "a", buffering=1)
notify_log = open(os.path.join(out_dir, "notify.log"), "a", buffering=1)


def udp_loop(sock):
    while True:
        data, _ = sock.recvfrom(65536)
        m = ID_RE.search(data)
        with lock:
            counts["udp"] += 1
            udp_log.write("%s %.3f\n" % (m.group(0).decode() if m else "-", time.time()))


class Notify(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        start = body.find(b"<resultnotification-message")
        attrs = {}
        if start >= 0:
            end = body.find(b">", start)
            attrs = dict(ATTR_RE.findall(body[start:end]))
        pid = attrs.get(b"push-id", b"-").decode()
        state = attrs.get(b"message-state", b"-").decode()
        code = attrs.get(b"code", b"-").decode()
        with lock:
            counts["notify"] += 1
            notify_log.write("%s %s %s %.3f\n" % (pid, state, code, time.time()))
        resp = ('<?xml version="1.0"?>\n<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" '
                '"http://www.wapforum.org/DTD/pap_2.0.dtd">\n<pap><resultnotification-response '
                'push-id="%s" code="1000"/></pap>\n' % pid).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(resp)))
        self.end_headers()
        self.wfile.write(resp)

    def log_message(self, *args):
        pass


def count_loop():
    path = os.path.join(out_dir, "sinks.count")
    while True:
        with lock:
            line = "udp=%d notify=%d\n" % (counts["udp"], counts["notify"])
        with open(path + ".tmp", "w") as f:
            f.write(line)
        os.replace(path + ".tmp", path)
        time.sleep(1)


def main():
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", udp_port))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", http_port), Notify)
    srv.daemon_threads = True
    for fn, arg in ((udp_loop, sock), (count_loop, None)):
        threading.Thread(target=fn, args=(arg,) if arg else (), daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
