#!/usr/bin/env python3
"""soak_check.py - the final checks and the report of bench/soak.sh.

  soak_check.py TMP DB MINUTES RATE KILL_EVERY SEED DRAIN_MS VERSION FSTYPE

Reads what soak.sh left in TMP: load.log (soak_load: one line per push,
cancel and statusquery), verify.out (the final statusquery pass), the sinks'
logs (uas*.log of sipp, udp.log and notify.log of soak_sinks.py, smsc.log of
the SMSC), minutes.tsv and kills.tsv; and the database DB (sqlite3, read
only, ppgd stopped).

A push counts as acknowledged when the PI got 1001 for it, or 2007 (push-id
already used: stored, the first answer lost) when it sent it again after a
request without an answer. An acknowledged push is LOST when it is missing
from the database, when its delivery is not final there or by statusquery,
or when the database says delivered but its sink never received it. The
expected final state depends on what the PI asked (delivered; cancelled for a
cancel answered 1000; expired for a push to an AoR that never registers);
any other final state is listed. Also checked: a push whose cancel was
answered 1000 never reached a sink; every acknowledged push that asked for a
result notification got one with a final state at the PI. Duplicates (a push
received more than once: at-least-once after a kill) are counted per bearer
and set against the deliveries unfinished in the database at each kill.

Prints the report (markdown) on stdout; exit status 1 when an acknowledged
push was lost, a cancelled push was delivered, or a notification is missing.
"""
import bisect
import collections
import glob
import os
import re
import sqlite3
import sys

tmp, db_path, minutes, rate, kill_every, seed, drain_ms, version, fstype = sys.argv[1:10]
ID_RE = re.compile(r"soak-[A-Za-z0-9_.-]+@pi\.example")
FINAL = {"delivered", "undeliverable", "expired", "aborted", "timeout", "cancelled", "rejected"}
DB_STATE = {0: "unknown", 1: "pending", 2: "delivered", 3: "undeliverable", 4: "expired", 5: "aborted",
            6: "timeout", 7: "cancelled", 8: "rejected", 9: "pending"}


def lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


# ------------------------------------------------------------ the PI's log
pushes = {}          # id -> dict(kind, flags, t_first, tries, code)
cancels = {}         # id -> code
n_sq = n_sq_ok = 0
sq_states = collections.Counter()
for ln in lines(os.path.join(tmp, "load.log")):
    f = ln.split()
    if f[0] == "P":
        pushes[f[1]] = dict(kind=f[2], flags=f[3], t_first=int(f[4]) / 1e6, tries=int(f[6]), code=int(f[8]))
    elif f[0] == "C":
        cancels[f[1]] = int(f[6])
    elif f[0] == "Q":
        n_sq += 1
        n_sq_ok += f[6] != "-"
        sq_states[f[6]] += 1


def acknowledged(p):
    return p["code"] == 1001 or (p["code"] == 2007 and p["tries"] > 1)


acked = {i for i, p in pushes.items() if acknowledged(p)}
answers = collections.Counter(p["code"] for p in pushes.values())

# ------------------------------------------------------------ the database
con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
dbs = {}             # push-id -> (push state, [delivery states], [codes])
for pid, pstate, dstate, code in con.execute(
        "select p.push_id, p.state, d.state, d.code from push p left join delivery d on d.push = p.id"):
    e = dbs.setdefault(pid, [pstate, [], []])
    if dstate is not None:
        e[1].append(dstate)
        e[2].append(code)
db_notif_left = con.execute("select count(*) from notification where state = 1").fetchone()[0]
con.close()

# ------------------------------------------------------------ statusqueries
verify = {}
for ln in lines(os.path.join(tmp, "verify.out")):
    f = ln.split()
    if len(f) == 4:
        verify[f[0]] = (int(f[2]), f[3])

# ------------------------------------------------------------ the sinks
seen = {"sip": collections.Counter(), "udp": collections.Counter(), "sms": collections.Counter()}
for path in glob.glob(os.path.join(tmp, "uas*.log")):
    for ln in lines(path):
        for m in ID_RE.findall(ln):
            seen["sip"][m] += 1
for ln in lines(os.path.join(tmp, "udp.log")):
    seen["udp"][ln.split()[0]] += 1
sms_segments = 0
for ln in lines(os.path.join(tmp, "smsc.log")):
    if not ln.startswith("submit_sm "):
        continue
    sms_segments += 1
    m = re.search(r" sm=([0-9A-Fa-f]*)", ln)
    st = re.search(r" status=(\S+)", ln)
    if not m or not st or st.group(1) != "0x00000000":
        continue
    found = ID_RE.search(bytes.fromhex(m.group(1)).decode("latin-1"))
    if found:
        seen["sms"][found.group(0)] += 1
notified = collections.defaultdict(list)
for ln in lines(os.path.join(tmp, "notify.log")):
    f = ln.split()
    if len(f) >= 2:
        notified[f[0]].append(f[1])

# ------------------------------------------------------------ kills
kills = []
for ln in lines(os.path.join(tmp, "kills.tsv"))[1:]:
    f = ln.split()
    kills.append(dict(n=int(f[0]), rss=int(f[1]), up=int(f[2]), t=float(f[3]), pending=int(f[4]),
                      inflight=int(f[5]), notif=int(f[6]), load_inflight=int(f[7]), ready_ms=int(f[8])))
kill_times = [k["t"] for k in kills]

# ------------------------------------------------------------ per push
lost, unexpected, cancel_violations, missing_notif = [], [], [], []
finals = collections.Counter()
dups = collections.Counter()
dup_copies = collections.Counter()
dup_by_kill = collections.Counter()
sq_disagree = 0
for pid in sorted(acked):
    p = pushes[pid]
    kind = p["kind"]
    d = dbs.get(pid)
    why = None
    if d is None or not d[1]:
        why = "not in the database"
    else:
        states = [DB_STATE[s] for s in d[1]]
        if not all(s in FINAL for s in states):
            why = "database: " + ",".join(states)
    if not why and pid in verify:
        code, st = verify[pid]
        if st not in FINAL:
            why = "statusquery: %s %d" % (st, code)
        elif st != DB_STATE[d[1][0]]:
            sq_disagree += 1
    state = DB_STATE[d[1][0]] if d and d[1] else "-"
    sink = "sip" if kind in ("sip", "expire") else kind
    count = seen[sink].get(pid, 0)
    if not why and state == "delivered" and count == 0:
        why = "delivered in the database, never received at the %s sink" % sink
    if why:
        lost.append((pid, kind, p["flags"], why))
        continue
    finals[(kind, state)] += 1
    if kind == "expire":
        expect = {"expired"}
    elif "c" in p["flags"] and cancels.get(pid) == 1000:
        expect = {"cancelled"}
    elif "c" in p["flags"]:
        expect = {"cancelled", "delivered"}
    else:
        expect = {"delivered"}
    if state not in expect:
        unexpected.append((pid, kind, p["flags"], state, d[2][0]))
    if state == "cancelled" and count:
        cancel_violations.append((pid, kind, count))
    if count > 1:
        dups[sink] += 1
        dup_copies[sink] += count - 1
        dup_by_kill[bisect.bisect_left(kill_times, p["t_first"])] += 1
    if "n" in p["flags"] and not any(s in FINAL for s in notified.get(pid, [])):
        missing_notif.append((pid, state, notified.get(pid, [])))
n_notif_dup = sum(1 for pid in acked if "n" in pushes[pid]["flags"] and len(notified.get(pid, [])) > 1)
unacked = [i for i in pushes if i not in acked]
unacked_stored = [i for i in unacked if i in dbs]
unacked_delivered = [i for i in unacked_stored if dbs[i][1] and dbs[i][1][0] == 2]

# ------------------------------------------------------------ trends
rows = [ln.split() for ln in lines(os.path.join(tmp, "minutes.tsv"))[1:]]
mrows = [r for r in rows if r[0] != "end"]
end_row = next((r for r in rows if r[0] == "end"), None)


def col(r, name):
    names = lines(os.path.join(tmp, "minutes.tsv"))[0].split()
    return int(r[names.index(name)])


def mean(v):
    return sum(v) / len(v) if v else 0


w = min(5, len(mrows) // 2) or 1
first, last = mrows[:w], mrows[-w:]
rss_first = mean([col(r, "rss_kb") for r in first]) / 1024
rss_last = mean([col(r, "rss_kb") for r in last]) / 1024


def growth_per_push(rs, prev):
    """bytes of database + WAL per push acknowledged over the rows rs."""
    if not rs:
        return 0
    b0 = col(prev, "db_bytes") + col(prev, "wal_bytes") if prev else 0
    a0 = col(prev, "acked") if prev else 0
    b1 = col(rs[-1], "db_bytes") + col(rs[-1], "wal_bytes")
    a1 = col(rs[-1], "acked")
    return (b1 - b0) / (a1 - a0) if a1 > a0 else 0


def file_growth_per_push(rs, prev):
    if not rs:
        return 0
    b0 = col(prev, "db_bytes") if prev else 0
    a0 = col(prev, "acked") if prev else 0
    b1, a1 = col(rs[-1], "db_bytes"), col(rs[-1], "acked")
    return (b1 - b0) / (a1 - a0) if a1 > a0 else 0


prev_last = mrows[-w - 1] if len(mrows) > w else None
g_first = file_growth_per_push(first, None)
g_last = file_growth_per_push(last, prev_last)
wal_max = max([col(r, "wal_bytes") for r in rows] or [0]) / 1048576
fds = [col(r, "fds") for r in mrows]

# ------------------------------------------------------------ report
out = []
pr = out.append
total_dups = sum(dups.values())
inflight_at_kills = sum(k["inflight"] for k in kills)
pending_at_kills = sum(k["pending"] for k in kills)
pr("### Soak: %s min at %s pushes/s, kill -9 every %s min (ppgd %s, SQLite synchronous = full on %s, seed %s)"
   % (minutes, rate, kill_every, version, fstype, seed))
pr("")
pr("| min | acked | SIP del/final | UDP del/final | SMS del/final | expired | cancelled | statusq | kills "
   "| RSS MB | DB MB | WAL MB | fds | notif | ppgd CPU % |")
pr("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    pr("| %s | %d | %d/%d | %d/%d | %d/%d | %d | %d | %d | %d | %.1f | %.1f | %.1f | %d | %d | %d |" % (
        r[0], col(r, "acked"), col(r, "sip_del"), col(r, "sip_fin"), col(r, "udp_del"), col(r, "udp_fin"),
        col(r, "sms_del"), col(r, "sms_fin"), col(r, "exp_fin"), col(r, "cancelled"), col(r, "sq"),
        col(r, "kills"), col(r, "rss_kb") / 1024, col(r, "db_bytes") / 1048576,
        col(r, "wal_bytes") / 1048576, col(r, "fds"), col(r, "notif"), col(r, "cpu_pct")))
pr("")
if kills:
    pr("| kill | ppgd up (s) | RSS before (MB) | deliveries pending / in flight after | notifications pending "
       "| PAP requests in flight | restart to ready (ms) | duplicates of pushes sent before it |")
    pr("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, k in enumerate(kills):
        pr("| %d | %d | %.1f | %d / %d | %d | %d | %d | %d |" % (
            k["n"], k["up"], k["rss"] / 1024, k["pending"], k["inflight"], k["notif"], k["load_inflight"],
            k["ready_ms"], dup_by_kill.get(i, 0)))
    pr("")
ready = sorted(k["ready_ms"] for k in kills)
pr("| check | result |")
pr("|---|---|")
pr("| pushes sent / acknowledged (1001, or 2007 on a resend) | %d / %d (%d by 2007); other answers: %s; "
   "no answer after 30 s of resends: %d (%d of them stored, %d delivered) |" % (
       len(pushes), len(acked), sum(1 for i in acked if pushes[i]["code"] == 2007),
       ", ".join("%d: %d" % (c, n) for c, n in sorted(answers.items()) if c not in (1001, 2007, -1)) or "none",
       len(unacked), len(unacked_stored), len(unacked_delivered)))
pr("| **acknowledged pushes lost** | **%d** |" % len(lost))
pr("| final states of the acknowledged | %s |" % ", ".join(
    "%s %s %d" % (k, s, n) for (k, s), n in sorted(finals.items())))
pr("| final state other than expected | %d |" % len(unexpected))
pr("| cancels sent / answered 1000 / cancelled push received anyway | %d / %d / %d |" % (
    len(cancels), sum(1 for c in cancels.values() if c == 1000), len(cancel_violations)))
pr("| statusqueries during the load / answered with a message-state | %d / %d (%s) |" % (
    n_sq, n_sq_ok, ", ".join("%s %d" % (s, n) for s, n in sq_states.most_common() if s != "-")))
pr("| final statusquery pass | %d pushes; disagreeing with the database: %d |" % (len(verify), sq_disagree))
pr("| duplicates (pushes received more than once: extra copies) | SIP %d (%d), UDP %d (%d), SMS %d (%d); "
   "bound: %d deliveries in flight + %d pending at the %d kills |" % (
       dups["sip"], dup_copies["sip"], dups["udp"], dup_copies["udp"], dups["sms"], dup_copies["sms"],
       inflight_at_kills, pending_at_kills, len(kills)))
pr("| notifications: requested by acknowledged pushes / missing at the PI / received more than once | "
   "%d / %d / %d (still pending in the database: %d) |" % (
       sum(1 for i in acked if "n" in pushes[i]["flags"]), len(missing_notif), n_notif_dup, db_notif_left))
if ready:
    pr("| restart to ready (/readyz 200) | %d kills: min %d ms, median %d ms, max %d ms |" % (
        len(ready), ready[0], ready[len(ready) // 2], ready[-1]))
pr("| RSS, mean of the first / last %d minutes | %.1f / %.1f MB (after the drain: %.1f MB) |" % (
    w, rss_first, rss_last, (col(end_row, "rss_kb") if end_row else 0) / 1024))
pr("| database file growth per acknowledged push, first / last %d minutes | %.0f / %.0f bytes "
   "(file %.1f MB at the end; WAL at most %.1f MB) |" % (
       w, g_first, g_last, (col(end_row, "db_bytes") if end_row else 0) / 1048576, wal_max))
pr("| open fds of ppgd, min / max over the minutes | %d / %d |" % (min(fds or [0]), max(fds or [0])))
pr("| drain after the load | %.1f s |" % (int(drain_ms) / 1000))
print("\n".join(out))

for what, v in (("LOST", lost), ("UNEXPECTED FINAL STATE", unexpected),
                ("CANCELLED BUT RECEIVED", cancel_violations), ("NOTIFICATION MISSING", missing_notif)):
    if v:
        print("\n%s: %d, the first 20:" % (what, len(v)), file=sys.stderr)
        for x in v[:20]:
            print("  " + " ".join(str(y) for y in x), file=sys.stderr)
bad = len(lost) + len(cancel_violations) + len(missing_notif)
print("\nsoak: %s" % ("PASS: 0 acknowledged pushes lost" if not bad else
                      "FAIL: %d lost, %d cancelled but received, %d notifications missing" % (
                          len(lost), len(cancel_violations), len(missing_notif))), file=sys.stderr)
sys.exit(1 if bad else 0)
