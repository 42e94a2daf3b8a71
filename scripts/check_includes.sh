#!/bin/bash
# check_includes.sh [--graph] [ROOT] - checks the include graph of the C
# sources under ROOT (default: this repository) and exits non-zero with one
# line per violation:
#   a  a file includes another component's internal header (*_int.h, *_internal.h);
#      tests/ and fuzz/ are exempt (white-box unit tests)
#   b  a library (pap/ db/ otabearer/ sipbearer/ smpp/) includes a ppg/ header
#   c  a cycle between components (tests/ bench/ fuzz/ are leaves)
#   d  the rooms of ppg/: core / engine / bearers (see scripts/check_includes.py)
#   e  a cycle among headers (file level, whole repository)
# --graph prints the folder-level edges (for the README) and exits 0.
# Exit: 0 clean, 1 violations, 2 usage error. Needs only python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "check_includes: python3 is missing" >&2; exit 2; }
exec python3 "$here/check_includes.py" "$@"
