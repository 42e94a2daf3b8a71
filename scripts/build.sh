#!/bin/bash
# build.sh [configure arguments...] - builds ppgd and its test programs out of
# tree, in $BUILD_DIR (relative to the repository root; default build/, or
# build-asan/ when --enable-sanitizers is among the arguments), so that the
# normal and the sanitizer builds coexist.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

default=build
for a in "$@"; do
	if [ "$a" = --enable-sanitizers ]; then
		default=build-asan
	fi
done
BUILD_DIR=${BUILD_DIR:-$default}

# automake refuses a VPATH build while the source tree itself is configured.
if [ -f "$top/config.status" ]; then
	echo "build: $top is configured in-tree (config.status): run 'make distclean' there first;" >&2
	echo "       builds go to build/ and build-asan/ (scripts/build.sh)." >&2
	exit 1
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ] ||
    [ ! -f Makefile.in ]; then
	./autogen.sh
fi

mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
# Configure again only when the arguments changed (make re-runs config.status
# by itself when configure changes).
if [ ! -f config.status ] || [ "$(./config.status --config)" != "$*" ]; then
	"$top/configure" "$@"
fi
make -j2
