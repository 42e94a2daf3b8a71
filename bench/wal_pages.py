#!/usr/bin/env python3
"""wal_pages.py: WAL pages written per accepted push, and which table or
index each page belongs to.

    bench/wal_pages.py [PPGD] [N] [CONC]     (defaults: build/ppgd 300 1)

Starts ppgd (synchronous = full, [ota] udp to a sink of this script, a fresh
database in a temporary directory), sends 20 pushes to warm up, truncates the
WAL, then holds a read transaction open on the database: while it is open no
checkpoint can restart the WAL, so every frame the writer appends stays in the
file. It then sends N PAP push-messages (the body of bench/pap_push.lua: one
IPv4 address, an SI) on CONC connections, waits until the sink has every
datagram and the deliveries are final, and reads the WAL frames written: the
page of each frame is named with the dbstat virtual table (table or index),
and the frames that end a transaction count the commits.

Prints: frames per push, commits per push, and per table/index the frames per
push. Counts, not times: they do not move with the load of a shared machine.
Processes it starts are stopped by PID.
"""
import base64
import http.client
import os
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOUNDARY = "bench-boundary-7d1c4e2a"
BODY = "\r\n".join([
    "--" + BOUNDARY,
    "Content-Type: application/xml",
    "",
    '<?xml version="1.0"?>',
    '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">',
    "<pap>",
    '  <push-message push-id="%s">',
    '    <address address-value="WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"/>',
    '    <quality-of-service priority="low" delivery-method="unconfirmed"/>',
    "  </push-message>",
    "</pap>",
    "--" + BOUNDARY,
    "Content-Type: text/vnd.wap.si",
    "X-Wap-Application-Id: x-wap-application:wml.ua",
    "",
    '<?xml version="1.0"?>',
    '<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">',
    "<si>",
    '  <indication href="http://www.example.com/news" si-id="%s" action="signal-medium">',
    "    You have news",
    "  </indication>",
    "</si>",
    "--" + BOUNDARY + "--",
    "",
])
CTYPE = 'multipart/related; boundary=%s; type="application/xml"' % BOUNDARY
AUTH = "Basic " + base64.b64encode(b"bench:bench-secret").decode()


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Sink(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.count = 0

    def run(self):
        while True:
            self.sock.recv(65536)
            self.count += 1


def pusher(port, ids, errors):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for pid in ids:
        c.request("POST", "/pap", (BODY % (pid, pid)).encode(),
                  {"Content-Type": CTYPE, "Authorization": AUTH})
        r = c.getresponse()
        body = r.read()
        if b'"1001"' not in body:
            errors.append(body[:200])
    c.close()


def send(port, prefix, n, conc):
    errors, ts = [], []
    for t in range(conc):
        ids = ["%s-%d-%d@pi.example" % (prefix, t, i) for i in range(t, n, conc)]
        ts.append(threading.Thread(target=pusher, args=(port, ids, errors)))
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit("wal_pages: %d answers not 1001, first: %r" % (len(errors), errors[0]))


def main():
    ppgd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "ppgd")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    conc = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    d = tempfile.mkdtemp(prefix="wal_pages.")
    sink = Sink()
    sink.start()
    port = free_port(socket.SOCK_STREAM)
    h = subprocess.run([ppgd, "--hash-secret"], input="bench-secret\n", capture_output=True,
                       text=True, check=True).stdout.strip()
    conf = os.path.join(d, "ppgd.conf")
    db = os.path.join(d, "ppgd.db")
    with open(conf, "w") as f:
        f.write("[server]\nlisten = 127.0.0.1:%d\npap_path = /pap\nthreads = 2\n"
                "[database]\npath = %s\nsynchronous = full\n[log]\nlevel = warning\n"
                "[ota]\nudp = yes\nudp_port = %d\n[pi bench]\nsecret_hash = %s\n"
                % (port, db, sink.port, h))
    log = open(os.environ.get("WAL_LOG") or os.path.join(d, "ppgd.log"), "w")
    p = subprocess.Popen(os.environ.get("WAL_WRAP", "").split() + [ppgd, "-c", conf], stdout=log,
                         stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        send(port, "warm", 20, 1)
        time.sleep(1)
        con = sqlite3.connect(db, timeout=10, isolation_level=None)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = db + "-wal"
        if os.path.getsize(wal) != 0:
            sys.exit("wal_pages: the WAL could not be truncated (ppgd busy?)")
        con.execute("BEGIN")
        con.execute("SELECT count(*) FROM push").fetchone()   # the read snapshot
        before = sink.count
        perf = None
        rec = None
        if os.environ.get("WAL_RECORD"):   # a perf profile of the window (perf.data there)
            rec = subprocess.Popen(["perf", "record", "-g", "-F", "999", "-o", os.environ["WAL_RECORD"],
                                    "-p", str(p.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        if os.environ.get("WAL_PERF"):   # counts of the window, per push (perf stat)
            per_thread = ["--per-thread"] if os.environ.get("WAL_PER_THREAD") else []
            perf = subprocess.Popen(["perf", "stat", "-x,"] + per_thread +
                                    ["-o", os.path.join(d, "stat"), "-e", os.environ["WAL_PERF"],
                                     "-p", str(p.pid)])
            time.sleep(0.3)
        send(port, "wal%d" % os.getpid(), n, conc)
        deadline = time.time() + 20
        while sink.count - before < n and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)   # the outcomes' writes (retried writes linger up to 1 ms)
        if perf:
            perf.send_signal(2)
            perf.wait()
        if rec:
            rec.send_signal(2)
            rec.wait()
        con.execute("COMMIT")
        data = open(wal, "rb").read()
        psz = struct.unpack(">I", data[8:12])[0] if len(data) >= 32 else 4096
        fsz = 24 + psz
        pages, commits = [], 0
        for off in range(32, len(data) - fsz + 1, fsz):
            pgno, commit = struct.unpack(">II", data[off:off + 8])
            pages.append(pgno)
            commits += commit != 0
        names = dict(sqlite3.connect(db).execute("SELECT pageno, name FROM dbstat"))
        per = {}
        for pg in pages:
            k = names.get(pg, "page %d (free/new)" % pg if pg not in names else names[pg])
            per[k] = per.get(k, 0) + 1
        delivered = sqlite3.connect(db).execute(
            "SELECT count(*) FROM delivery WHERE state != 1 AND state != 9").fetchone()[0]
        print("pushes=%d conc=%d datagrams=%d final_deliveries=%d" %
              (n, conc, sink.count - before, delivered))
        print("wal_frames=%d frames_per_push=%.2f commits_per_push=%.2f" %
              (len(pages), len(pages) / n, commits / n))
        for k, v in sorted(per.items(), key=lambda kv: -kv[1]):
            print("  %-28s %6.2f" % (k, v / n))
        if perf:
            for line in open(os.path.join(d, "stat")):
                f = line.strip().split(",")
                if len(f) > 2 and f[0].replace(".", "").isdigit():
                    print("%-36s %10.2f per push" % (f[2], float(f[0]) / n))
                elif len(f) > 3 and f[1].replace(".", "").isdigit() and float(f[1]) / n >= 0.05:
                    print("%-20s %-36s %10.2f per push" % (f[0], f[3], float(f[1]) / n))
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
