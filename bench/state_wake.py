#!/usr/bin/env python3
"""state_wake.py - for bench/bench_state.sh: how soon a registration of an AoR
with parked pushes starts their deliveries.

    state_wake.py PPGD-SIP-PORT FIRST COUNT

For each AoR sip:waitN@ims.example, N = FIRST .. FIRST+COUNT-1 (one at a time),
it sends the SIP/IP core's third-party REGISTER over UDP from its own socket
(the contact is that socket, the push application mms.ua), answers 200 to every
MESSAGE that arrives there, and measures from the REGISTER leaving to
  - its 200 (the binding is on disk: ppgd answers only then), and
  - the first MESSAGE for that AoR (its first parked push is on the wire).
Prints one line per AoR on stderr and a summary on stdout:
    WAKE n=N reg_p50_ms=X reg_p99_ms=X first_p50_ms=X first_p99_ms=X
         first_max_ms=X messages=M
Exits 1 when an AoR got no 200 or no MESSAGE within 5 s.
"""
import socket
import sys
import time
import uuid


def headers(msg):
    head = msg.split("\r\n\r\n", 1)[0].split("\r\n")
    return head[0], head[1:]


def answer_200(sock, msg, addr):
    first, hs = headers(msg)
    keep = [h for h in hs if h.split(":", 1)[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
    sock.sendto(resp.encode(), addr)


def pct(v, p):
    if not v:
        return float("nan")
    s = sorted(v)
    return s[min(len(s) - 1, max(0, int(round(len(s) * p)) - 1))]


def main():
    port, first, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    me = sock.getsockname()[1]
    ppgd = ("127.0.0.1", port)
    regs, firsts, messages, bad = [], [], 0, 0
    for n in range(first, first + count):
        aor = "sip:wait%d@ims.example" % n
        call_id = uuid.uuid4().hex
        req = ("REGISTER sip:127.0.0.1:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:scscf.ims.example>;tag=%s\r\n"
               "To: <%s>\r\n"
               "Call-ID: %s\r\n"
               "CSeq: 1 REGISTER\r\n"
               "Contact: <sip:wait%d@127.0.0.1:%d>;+g.oma.pusheventapp=\"mms.ua\"\r\n"
               "Expires: 3600\r\n"
               "Content-Length: 0\r\n\r\n") % (port, me, uuid.uuid4().hex[:16], uuid.uuid4().hex[:8],
                                              aor, call_id, n, me)
        t0 = time.monotonic()
        sock.sendto(req.encode(), ppgd)
        t_reg = t_msg = None
        deadline = t0 + 5
        while time.monotonic() < deadline and (t_reg is None or t_msg is None):
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                data, addr = sock.recvfrom(65536)
            except socket.timeout:
                break
            now = time.monotonic()
            msg = data.decode("utf-8", "replace")
            if msg.startswith("SIP/2.0 "):
                if call_id in msg and t_reg is None:
                    if msg.startswith("SIP/2.0 200"):
                        t_reg = now
                    elif not msg.startswith("SIP/2.0 1"):
                        print("state_wake: %s: %s" % (aor, msg.split("\r\n")[0]), file=sys.stderr)
                        break
            elif msg.startswith("MESSAGE "):
                answer_200(sock, msg, addr)
                messages += 1
                if t_msg is None and ("wait%d@" % n) in msg.split("\r\n")[0]:
                    t_msg = now
        if t_reg is None or t_msg is None:
            print("state_wake: %s: %s" % (aor, "no 200 to the REGISTER" if t_reg is None else "no MESSAGE"),
                  file=sys.stderr)
            bad += 1
            continue
        regs.append((t_reg - t0) * 1000)
        firsts.append((t_msg - t0) * 1000)
        print("state_wake: %s: 200 after %.2f ms, first MESSAGE after %.2f ms" % (aor, regs[-1], firsts[-1]),
              file=sys.stderr)
    # Answer what is still coming, so that ppgd's transactions end well.
    end = time.monotonic() + 1
    while time.monotonic() < end:
        sock.settimeout(0.1)
        try:
            data, addr = sock.recvfrom(65536)
        except socket.timeout:
            continue
        msg = data.decode("utf-8", "replace")
        if msg.startswith("MESSAGE "):
            answer_200(sock, msg, addr)
            messages += 1
    print("WAKE n=%d reg_p50_ms=%.2f reg_p99_ms=%.2f first_p50_ms=%.2f first_p99_ms=%.2f first_max_ms=%.2f "
          "messages=%d" % (len(firsts), pct(regs, .5), pct(regs, .99), pct(firsts, .5), pct(firsts, .99),
                           max(firsts) if firsts else float("nan"), messages))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
