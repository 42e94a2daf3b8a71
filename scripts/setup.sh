#!/bin/bash
# setup.sh - installs everything ppgd needs to build and to run its tests on
# Debian 12, then the npm Push Initiator client of the tests (tests/pi).
# Idempotent: apt runs only when a package is missing, npm only when
# tests/pi/node_modules does not match the lock file. chromium and
# python3-websocket: tests/test_page.c drives the status page in a headless
# Chromium through the DevTools protocol (tests/page_cdp.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	build-essential autoconf automake libtool pkg-config
	libmicrohttpd-dev libgnutls28-dev libxml2-dev libsqlite3-dev sqlite3 libcunit1-dev libinih-dev openssl
	libcurl4-openssl-dev libcrypt-dev libsofia-sip-ua-dev libsmpp34-dev libjansson-dev libpq-dev postgresql-15
	sip-tester kamailio kamailio-tls-modules kamailio-presence-modules kannel kannel-extras libnet-smpp-perl wrk curl nodejs npm python3 python3-prometheus-client tshark
	libsystemd-dev systemd man-db
	chromium python3-websocket fonts-dejavu-core
	debhelper dpkg-dev fakeroot lintian
)
# The .deb (tests/test_deb.sh, scripts/package.sh) needs the last line; --package
# is still accepted (scripts/package.sh passes it).

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" && continue
	# NodeSource's nodejs package bundles npm (Provides: npm, Conflicts: npm):
	# asking apt for Debian's npm then would replace nodejs. A working npm is enough.
	if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then
		continue
	fi
	missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo=
	if [ "$(id -u)" -ne 0 ]; then
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	# tshark pulls in wireshark-common, which asks whether non-root users may
	# capture (setuid dumpcap): answer no beforehand (the tests run as root).
	if [[ " ${missing[*]} " == *" tshark "* ]]; then
		echo "wireshark-common wireshark-common/install-setuid boolean false" |
			$sudo debconf-set-selections
	fi
	$sudo apt-get update
	$sudo apt-get install -y --no-install-recommends "${missing[@]}"
else
	echo "setup: all Debian packages present"
fi

# The npm blackberry-push client used by tests/pi/bbpush.js.
cd "$top/tests/pi"
if [ -f node_modules/blackberry-push/index.js ] && npm ls --all >/dev/null 2>&1; then
	echo "setup: tests/pi/node_modules is up to date"
elif [ -f package-lock.json ]; then
	npm ci --no-audit --no-fund
else
	npm install --no-audit --no-fund
fi
