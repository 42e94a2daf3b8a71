#!/bin/bash
# test_install.sh [BUILD_DIR] - make install DESTDIR=tmp from a configured build
# (default build/) and checks what an operator gets: the file list (ppgd in
# sbin, ppgctl in bin, ppgd(8), ppgd.conf(5), ppgctl(1), the example config,
# /etc/ppgd/ppgd.conf, the systemd unit), ppgd.conf(5) naming every key of
# `ppgd --keys`, the installed config accepted by `ppgd -t`, the unit checked
# by `systemd-analyze verify` (ExecStart rewritten to the DESTDIR binary, the
# man pages found through MANPATH), every page rendered by `man -l` without a
# warning, and make uninstall leaving no file behind. Exit 0 when all hold.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-${BUILD_DIR:-build}}
case $b in /*) ;; *) b=$top/$b ;; esac
[ -f "$b/Makefile" ] || { echo "test_install: $b is not a configured build (scripts/build.sh)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "test_install: FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "test_install: ok: $*"; }

var() { sed -n "s|^$1 = ||p" "$b/Makefile" | head -n 1; }
prefix=$(var prefix)
unitdir=$(var systemdsystemunitdir)
sysconfdir=$(var sysconfdir | sed "s|\${prefix}|$prefix|")
root=$tmp/root

if ! make -s -C "$b" install DESTDIR="$root" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	fail "make install DESTDIR=$root"
	exit 1
fi

want=(
	"$prefix/sbin/ppgd"
	"$prefix/bin/ppgctl"
	"$prefix/share/man/man8/ppgd.8"
	"$prefix/share/man/man5/ppgd.conf.5"
	"$prefix/share/man/man1/ppgctl.1"
	"$prefix/share/doc/ppgd/examples/ppgd.conf"
	"$prefix/share/doc/ppgd/examples/example-push.txt"
	"$sysconfdir/ppgd/ppgd.conf"
	"$unitdir/ppgd.service"
)
for f in "${want[@]}"; do
	[ -f "$root$f" ] || fail "missing $f"
done
for f in "$prefix/sbin/ppgd" "$prefix/bin/ppgctl"; do
	[ -x "$root$f" ] || fail "$f is not executable"
done
got=$(cd "$root" && find . -type f | sed 's|^\.||' | sort)
extra=$(comm -13 <(printf '%s\n' "${want[@]}" | sort) <(printf '%s\n' "$got"))
[ -z "$extra" ] || fail "unexpected files installed: $extra"
[ $fails -eq 0 ] && ok "file list: ${#want[@]} files"
echo "$got" | sed 's/^/    /'

# ppgd.conf(5) names every key of the table, under its section
ppgd=$root$prefix/sbin/ppgd
page=$root$prefix/share/man/man5/ppgd.conf.5
n=0
sec=
while IFS= read -r line; do
	case $line in
	"["*"]") sec=${line#[}; sec=${sec%]} ;;
	";"*|"") ;;
	*" = "*|*" =")
		key=${line%% =*}
		n=$((n + 1))
		if [ "$sec" != "pi NAME" ] && [ "$sec" != "admin NAME" ] &&
		    ! awk -v s=".SS [$sec]" -v k=".B $key = " '$0 == s {in_s = 1; next} /^\.SS/ {in_s = 0}
		        in_s && index($0, k) == 1 {found = 1} END {exit !found}' "$page"; then
			fail "ppgd.conf(5) lacks [$sec] $key"
		fi ;;
	esac
done < <("$ppgd" --keys)
[ $n -gt 50 ] || fail "ppgd --keys printed only $n keys"
ok "ppgd.conf(5) documents the $n keys of ppgd --keys"

"$ppgd" -c "$root$sysconfdir/ppgd/ppgd.conf" -t >/dev/null || fail "ppgd -t refuses the installed config"
grep -q '^path = /var/lib/ppgd/ppgd.db' "$root$sysconfdir/ppgd/ppgd.conf" ||
	fail "the installed config does not keep its database in /var/lib/ppgd (StateDirectory)"

# the unit
unit=$root$unitdir/ppgd.service
for k in 'Type=notify' 'DynamicUser=yes' 'StateDirectory=ppgd' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
    'PrivateTmp=yes' 'ProtectHome=yes' 'ExecReload=/bin/kill -HUP $MAINPID'; do
	if [ "$k" = Type=notify ] && [ "$(var SYSTEMD_TYPE)" != notify ]; then
		k=Type=simple   # built without libsystemd
	fi
	grep -qxF "$k" "$unit" || fail "the unit lacks $k"
done
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$tmp/unit"
	sed "s|$prefix/sbin/|$root$prefix/sbin/|g" "$unit" >"$tmp/unit/ppgd.service"
	if MANPATH=$root$prefix/share/man systemd-analyze verify "$tmp/unit/ppgd.service" >"$tmp/verify.log" 2>&1 &&
	    [ ! -s "$tmp/verify.log" ]; then
		ok "systemd-analyze verify: clean"
	else
		cat "$tmp/verify.log"
		fail "systemd-analyze verify ppgd.service"
	fi
else
	fail "systemd-analyze is missing (Debian package systemd)"
fi

# the man pages render without a warning
for m in "$root$prefix"/share/man/man*/*; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$m" 2>&1 >/dev/null)
	if [ -n "$w" ]; then
		echo "$w"
		fail "man -l ${m##*/} warns"
	fi
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$m" 2>/dev/null | grep -q NAME || fail "man -l ${m##*/} renders nothing"
done
ok "man -l renders $(ls "$root$prefix"/share/man/man*/* | wc -l) pages without warnings"

make -s -C "$b" uninstall DESTDIR="$root" >"$tmp/uninstall.log" 2>&1 || fail "make uninstall"
left=$(find "$root" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"

if [ $fails -eq 0 ]; then
	echo "test_install: all checks passed"
	exit 0
fi
echo "test_install: $fails check(s) failed"
exit 1
