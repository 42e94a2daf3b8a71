#!/usr/bin/env python3
"""url_fetcher.py - the content fetches of the pager-mode terminal of
bench/bench_session.sh (RFC 4483 content indirection): follows the log the
sipp UAS writes (lines "FETCH <url>"), GETs each URL once with THREADS
threads over kept-alive HTTP/1.1 connections, and on SIGTERM prints
"FETCHER fetched=N failed=N bytes=N".

    url_fetcher.py LOGFILE THREADS
"""
import http.client
import os
import queue
import signal
import sys
import threading
import time
import urllib.parse

log, nthreads = sys.argv[1], int(sys.argv[2])
work = queue.Queue()
stats = {"fetched": 0, "failed": 0, "bytes": 0}
lock = threading.Lock()
stop = threading.Event()


def fetcher():
    conns = {}
    while not stop.is_set():
        try:
            url = work.get(timeout=0.2)
        except queue.Empty:
            continue
        u = urllib.parse.urlsplit(url)
        ok, n = False, 0
        for _ in range(2):   # once more on a connection the server closed
            c = conns.get(u.netloc)
            if c is None:
                c = conns[u.netloc] = http.client.HTTPConnection(u.netloc, timeout=10)
            try:
                c.request("GET", u.path or "/")
                r = c.getresponse()
                body = r.read()
                ok, n = r.status == 200, len(body)
                break
            except Exception:
                c.close()
                conns.pop(u.netloc, None)
        with lock:
            stats["fetched" if ok else "failed"] += 1
            stats["bytes"] += n


def follow():
    while not os.path.exists(log) and not stop.is_set():
        time.sleep(0.05)
    with open(log) as f:
        buf = ""
        while not stop.is_set():
            chunk = f.readline()
            if not chunk:
                time.sleep(0.005)
                continue
            buf += chunk
            if not buf.endswith("\n"):
                continue
            line, buf = buf.strip(), ""
            at = line.find("FETCH ")
            if at >= 0:
                work.put(line[at + 6:].strip())


signal.signal(signal.SIGTERM, lambda *a: stop.set())
signal.signal(signal.SIGINT, lambda *a: stop.set())
ts = [threading.Thread(target=fetcher, daemon=True) for _ in range(nthreads)]
for t in ts:
    t.start()
threading.Thread(target=follow, daemon=True).start()
while not stop.is_set():
    time.sleep(0.1)
print("FETCHER fetched=%d failed=%d bytes=%d" % (stats["fetched"], stats["failed"], stats["bytes"]), flush=True)
