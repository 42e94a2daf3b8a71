#!/bin/bash
# package.sh - the slow packaging checks, apart from scripts/test.sh:
#   1. make distcheck from build/ (the tarball builds out of tree, installs,
#      uninstalls cleanly); its `make check` runs the tests that need no
#      outside peer (DISTCHECK_TESTS overrides; "all" runs every one);
#   2. the .deb: dpkg-buildpackage -us -uc -b on that tarball unpacked in a
#      temporary directory (the work tree stays unconfigured), then lintian.
# Leaves build/ppgd-VERSION.tar.gz, build/ppgd_VERSION_ARCH.deb and
# build/lintian.txt. Exits non-zero when a step fails (lintian warnings do not fail it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
./scripts/setup.sh --package
BUILD_DIR=build ./scripts/build.sh
b=$top/build
tests=${DISTCHECK_TESTS:-tests/test_pap_addr tests/test_pap_vectors tests/test_pap_roundtrip tests/test_pap_hostile tests/test_db_schema tests/test_db_push tests/test_db_sip tests/test_config tests/test_ota_wsp tests/test_ota_wdp tests/test_ota_wbxml tests/test_outcome tests/test_select tests/test_stats tests/test_admin tests/test_reload}

echo "==== make distcheck"
if [ "$tests" = all ]; then
	(cd "$b" && make distcheck)
else
	(cd "$b" && make distcheck TESTS="$tests")
fi
tarball=$(ls -t "$b"/ppgd-*.tar.gz | head -n 1)
echo "==== $tarball: dpkg-buildpackage -us -uc -b"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xzf "$tarball"
src=$(ls -d "$tmp"/ppgd-*/)
(cd "$src" && dpkg-buildpackage -us -uc -b -j2) >"$b/dpkg-buildpackage.log" 2>&1 || {
	tail -n 40 "$b/dpkg-buildpackage.log"
	echo "package: dpkg-buildpackage failed (build/dpkg-buildpackage.log)"
	exit 1
}
deb=$(ls "$tmp"/ppgd_*.deb | head -n 1)
cp "$deb" "$b/"
deb=$b/${deb##*/}
echo "==== $deb"
dpkg-deb -c "$deb"
echo "==== lintian"
lintian --info "$deb" >"$b/lintian.txt" 2>&1 || true
cat "$b/lintian.txt"
echo "package: ok: $tarball, $deb ($(grep -c '^[EW]:' "$b/lintian.txt" || true) lintian errors and warnings)"
