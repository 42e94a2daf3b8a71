#!/bin/bash
# test_deb.sh - the Debian package of this commit (issue 8, item 6): builds it
# with `dpkg-buildpackage -us -uc -b` in a throw-away clone of HEAD (uncommitted
# changes are not in it), checks its contents (dpkg-deb -c, the conffile, the
# dependencies), runs lintian (the tags printed; an error fails, a warning
# does not), installs it, starts the installed ppgd with the installed
# config (ports and database moved to free ones / a temporary directory),
# pushes the installed example push as the installed demo PI, stops it, and
# removes the package again.
#
# Installing: `dpkg -i` into this system, which is what "installs" means,
# when that is safe: root, no package ppgd installed, none of the package's
# files present. It is done under a lock (concurrent runs on one machine) and
# undone with `dpkg --purge` (also on failure). The postinst's systemctl
# steps run only where systemd is PID 1 (its /run/systemd/system test); in a
# container without it the unit is enabled but not started, so the "start"
# is the installed binary run by this script, as the unit's ExecStartPre and
# ExecStart would run it. When a real install is not safe, the package is
# unpacked with `dpkg -x` into a temporary root instead (no maintainer
# scripts run) and the script says so.
#
# Takes about 3-5 minutes (the package build is a full build plus four unit
# tests). Exit 0 when every check holds.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-deb.XXXXXX")
installed_here=0
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	if [ $installed_here -eq 1 ]; then
		dpkg --purge ppgd >"$tmp/purge.log" 2>&1 || cat "$tmp/purge.log"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 143" TERM INT
fails=0
fail() { echo "test_deb: FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "test_deb: ok: $*"; }
for tool in dpkg-buildpackage dh lintian fakeroot git curl python3; do
	command -v "$tool" >/dev/null || { echo "test_deb: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done

# ---- build from a clone of HEAD
head=$(git -C "$top" rev-parse --verify HEAD) || { echo "test_deb: $top is not a git checkout"; exit 1; }
if ! timeout 300 git clone --quiet --no-local "$top" "$tmp/ppgd" ||
    ! git -C "$tmp/ppgd" checkout --quiet --detach "$head"; then
	echo "test_deb: cannot clone $top at $head"
	exit 1
fi
if ! (cd "$tmp/ppgd" && timeout 1500 dpkg-buildpackage -us -uc -b -j2) >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log"
	echo "test_deb: FAIL: dpkg-buildpackage -us -uc -b"
	exit 1
fi
deb=$(ls "$tmp"/ppgd_*_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || { echo "test_deb: FAIL: no ppgd_*.deb after the build"; exit 1; }
ok "dpkg-buildpackage -us -uc -b: ${deb##*/} ($(( $(date +%s) - t0 )) s)"

# ---- contents
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$tmp/files"
want=(/usr/sbin/ppgd /usr/bin/ppgctl /usr/share/man/man8/ppgd.8.gz /usr/share/man/man5/ppgd.conf.5.gz
	/usr/share/man/man1/ppgctl.1.gz /lib/systemd/system/ppgd.service /etc/ppgd/ppgd.conf
	/usr/share/doc/ppgd/copyright /usr/share/doc/ppgd/examples/example-push.txt)
for f in "${want[@]}"; do
	grep -qx -- "$f" "$tmp/files" || fail "the package lacks $f"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles 2>/dev/null | grep -qx /etc/ppgd/ppgd.conf ||
	fail "/etc/ppgd/ppgd.conf is not a conffile"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsystemd0 libpq5 libsofia-sip-ua0 libmicrohttpd12; do
	case ", $depends" in *", $lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done
[ $fails -eq 0 ] && ok "contents: ${#want[@]} files, the conffile, Depends: $depends"

# ---- lintian: print every tag; errors fail
lintian --info --fail-on error "$deb" >"$tmp/lintian.txt" 2>&1
lrc=$?
tags=$(grep -E '^[EWIP]: ' "$tmp/lintian.txt")
echo "test_deb: lintian: $(grep -c '^E: ' <<<"$tags") error(s), $(grep -c '^W: ' <<<"$tags") warning(s)"
[ -n "$tags" ] && sed 's/^/    /' <<<"$tags"
if [ $lrc -ne 0 ]; then
	fail "lintian reports errors (exit $lrc)"
	grep -v '^N: *$' "$tmp/lintian.txt" | head -n 60
fi

# ---- install
root=
if [ "$(id -u)" -ne 0 ]; then
	why="not root"
elif dpkg-query -W -f='${Status}' ppgd 2>/dev/null | grep -q installed; then
	why="a package ppgd is already installed"
else
	why=
	while read -r f; do
		[ -n "$f" ] && [ -e "$f" ] && [ ! -d "$f" ] && { why="$f exists already"; break; }
	done <"$tmp/files"
fi
exec 9>/run/lock/ppgd-test-deb.lock 2>/dev/null || exec 9>"${TMPDIR:-/tmp}/ppgd-test-deb.lock"
if [ -z "$why" ] && ! flock -w 600 9; then
	why="another run holds /run/lock/ppgd-test-deb.lock"
fi
if [ -z "$why" ]; then
	if dpkg -i "$deb" >"$tmp/install.log" 2>&1; then
		installed_here=1
		ok "dpkg -i: $(dpkg-query -W -f='${Package} ${Version} ${Status}' ppgd)"
	else
		cat "$tmp/install.log"
		fail "dpkg -i ${deb##*/}"
		installed_here=1   # half-configured: purge it
		exit 1
	fi
	[ -x /usr/sbin/ppgd ] && [ -x /usr/bin/ppgctl ] || fail "dpkg -i left no /usr/sbin/ppgd or /usr/bin/ppgctl"
	# the postinst enabled the unit (deb-systemd-helper), whether or not systemd runs
	[ -L /etc/systemd/system/multi-user.target.wants/ppgd.service ] ||
		fail "the postinst did not enable ppgd.service"
	if [ -d /run/systemd/system ]; then
		echo "test_deb: systemd is PID 1 here: the postinst started the unit"
	else
		echo "test_deb: systemd is not PID 1 here: the unit is enabled, not started; the installed binary is run below"
	fi
	if systemd-analyze verify /lib/systemd/system/ppgd.service >"$tmp/verify.log" 2>&1; then
		ok "systemd-analyze verify of the installed unit"
	else
		cat "$tmp/verify.log"
		fail "systemd-analyze verify /lib/systemd/system/ppgd.service"
	fi
else
	echo "test_deb: not installed into this system ($why): unpacked with dpkg -x into a temporary root"
	root=$tmp/root
	dpkg -x "$deb" "$root" || { fail "dpkg -x"; exit 1; }
fi
ppgd=$root/usr/sbin/ppgd
conf=$root/etc/ppgd/ppgd.conf
ppgctl=$root/usr/bin/ppgctl

# ---- start: the unit's ExecStartPre, then the installed config on free ports
"$ppgd" -c "$conf" -t >"$tmp/t.log" 2>&1 && ok "ppgd -c /etc/ppgd/ppgd.conf -t (ExecStartPre)" ||
	{ cat "$tmp/t.log"; fail "the installed ppgd refuses the installed config"; }
"$ppgctl" --help 2>&1 | grep -q ppgctl || fail "the installed ppgctl does not run"
read -r pap_port sip_port admin_port < <(python3 -c '
import socket
ss = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ss.append(s)
print(*[s.getsockname()[1] for s in ss])')
awk -v pap="$pap_port" -v sip="$sip_port" -v adm="$admin_port" -v db="$tmp/ppgd.db" '
	/^\[/ { sec = $0 }
	sec == "[server]" && /^listen = / { print "listen = 127.0.0.1:" pap; next }
	sec == "[sip]" && /^listen = / { print "listen = sip:127.0.0.1:" sip; next }
	sec == "[admin]" && /^listen = / { print "listen = 127.0.0.1:" adm; next }
	sec == "[database]" && /^path = / { print "path = " db; next }
	{ print }' "$conf" >"$tmp/run.conf"
[ "$(diff "$conf" "$tmp/run.conf" | grep -c '^>')" -eq 4 ] || fail "the installed config has not the four keys to move"
"$ppgd" -c "$tmp/run.conf" >"$tmp/ppgd.log" 2>&1 &
pid=$!
up=0
for _ in $(seq 100); do
	if curl -s -o /dev/null "http://127.0.0.1:$pap_port/"; then up=1; break; fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ $up -eq 1 ]; then
	ok "the installed ppgd listens (PAP 127.0.0.1:$pap_port, SIP $sip_port)"
	ans=$(curl -s -w '\nHTTP %{http_code}' -u demo:demo-secret \
	    -H 'Content-Type: multipart/related; boundary=ppgd-example-boundary; type="application/xml"' \
	    --data-binary @"$root/usr/share/doc/ppgd/examples/example-push.txt" "http://127.0.0.1:$pap_port/pap")
	if grep -q 'HTTP 202' <<<"$ans" && grep -q 'code="1001"' <<<"$ans"; then
		ok "the installed example push as the installed demo PI: 202, 1001"
	else
		fail "the example push was not accepted: $ans"
	fi
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || fail "the installed ppgd exited $rc on SIGTERM"
else
	fail "the installed ppgd did not listen on $pap_port"
	cat "$tmp/ppgd.log"
fi

# ---- remove
if [ $installed_here -eq 1 ]; then
	installed_here=0
	if dpkg --purge ppgd >"$tmp/purge.log" 2>&1; then
		left=""
		for f in /usr/sbin/ppgd /usr/bin/ppgctl /etc/ppgd/ppgd.conf /lib/systemd/system/ppgd.service \
		    /etc/systemd/system/multi-user.target.wants/ppgd.service; do
			[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
		done
		[ -z "$left" ] && ok "dpkg --purge ppgd leaves nothing" || fail "dpkg --purge left$left"
	else
		cat "$tmp/purge.log"
		fail "dpkg --purge ppgd"
	fi
fi
echo "test_deb: $(( $(date +%s) - t0 )) s"
[ $fails -eq 0 ]
