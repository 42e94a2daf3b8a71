#!/usr/bin/env python3
"""msrp_sink.py - the MSRP receiver of bench/bench_session.sh (RFC 4975).

Listens on 127.0.0.1:PORT (TCP, the passive side, RFC 6135); ppgd connects
to the a=path the benchmark's sipp UAS answered with. Every SEND gets a
200 (To-Path: the SEND's From-Path, From-Path: its To-Path); when a
message's last chunk arrived (Byte-Range end = total, flag '$', every byte
counted) it sends REPORT Status: 000 200 for the whole message. The UAS
writes the time the INVITE reached it into the session part of its a=path
(msrp://127.0.0.1:PORT/t<seconds>-<microseconds>-<call>;tcp, sipp's
gettimeofday), so the sink logs, per message, the milliseconds from the
INVITE's arrival to the REPORT's sending ("INVITE->REPORT at the terminal")
to LATFILE, one number a line. A SEND that breaks the Byte-Range sequence is
counted as an error (printed at the end) and gets no REPORT.

    msrp_sink.py PORT LATFILE        (SIGTERM: prints "SINK messages=N chunks=N errors=N")
"""
import asyncio
import os
import re
import signal
import sys
import time

PATH_T = re.compile(rb"/t([0-9]+)(?:\.[0-9]*)?-([0-9]+)(?:\.[0-9]*)?-")
stats = {"messages": 0, "chunks": 0, "errors": 0}
lat = None


def header(block, name):
    for line in block.split(b"\r\n"):
        if line[: len(name) + 1].lower() == name.lower() + b":":
            return line[len(name) + 1:].strip()
    return None


class Conn(asyncio.Protocol):
    def connection_made(self, tr):
        self.tr = tr
        self.buf = b""
        self.got = {}   # Message-ID -> bytes received

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n", 0)
            if end < 0:
                return
            first = self.buf[:end].split(b" ")
            if len(first) < 3 or first[0] != b"MSRP":
                stats["errors"] += 1
                self.tr.close()
                return
            tid = first[1]
            m = re.search(rb"-------" + re.escape(tid) + rb"([$+#])\r\n", self.buf)
            if not m:
                return
            frame = self.buf[: m.start()]
            flag = m.group(1)
            self.buf = self.buf[m.end():]
            if first[2] != b"SEND":
                continue   # responses to our REPORTs, if any
            self.send_frame(tid, frame, flag)

    def send_frame(self, tid, frame, flag):
        hend = frame.find(b"\r\n\r\n")
        head = frame if hend < 0 else frame[:hend]
        body = b"" if hend < 0 else frame[hend + 4:]
        if body.endswith(b"\r\n"):
            body = body[:-2]
        to = header(head, b"To-Path")
        frm = header(head, b"From-Path")
        mid = header(head, b"Message-ID")
        br = header(head, b"Byte-Range")
        stats["chunks"] += 1
        self.tr.write(b"MSRP %s 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n"
                      % (tid, frm.split(b" ")[0], to, tid))
        try:
            rng, total = br.split(b"/")
            start, stop = (int(x) for x in rng.split(b"-"))
            total = int(total)
        except Exception:
            stats["errors"] += 1
            return
        have = self.got.get(mid, 0)
        if start != have + 1 or stop != have + len(body):
            stats["errors"] += 1
            return
        have = stop
        self.got[mid] = have
        if flag != b"$" or have != total:
            return
        del self.got[mid]
        rtid = os.urandom(6).hex().encode()
        self.tr.write(b"MSRP %s REPORT\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: %s\r\n"
                      b"Byte-Range: 1-%d/%d\r\nStatus: 000 200 OK\r\n-------%s$\r\n"
                      % (rtid, frm.split(b" ")[0], to, mid, total, total, rtid))
        stats["messages"] += 1
        t = PATH_T.search(to)
        if t:
            inv = int(t.group(1)) + int(t.group(2)) / 1e6
            lat.write("%.3f\n" % ((time.time() - inv) * 1000))


async def main():
    global lat
    port, latfile = int(sys.argv[1]), sys.argv[2]
    lat = open(latfile, "w", buffering=1)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    server = await loop.create_server(Conn, "127.0.0.1", port, backlog=1024)
    await stop
    server.close()
    lat.close()
    print("SINK messages=%d chunks=%d errors=%d" % (stats["messages"], stats["chunks"], stats["errors"]),
          flush=True)


asyncio.run(main())
