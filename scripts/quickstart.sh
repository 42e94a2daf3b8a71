#!/bin/bash
# quickstart.sh - installs what is missing, builds build/, and runs ppgd in the
# foreground on etc/ppgd.conf (database in var/), after printing the PAP URL
# and a curl command that pushes etc/example-push.txt as the demo PI.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./scripts/setup.sh
BUILD_DIR=build ./scripts/build.sh
mkdir -p var

conf=etc/ppgd.conf
build/ppgd -t -c "$conf"

listen=$(sed -n 's/^[[:space:]]*listen[[:space:]]*=[[:space:]]*\([^,[:space:]]*\).*/\1/p' "$conf" | head -n 1)
path=$(sed -n 's/^[[:space:]]*pap_path[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$conf" | head -n 1)
url="http://${listen:-127.0.0.1:8080}${path:-/pap}"

cat <<EOT

PAP URL:  $url
Push Initiator account: demo / demo-secret   (config: $conf, database: var/ppgd.db)

Push an SI to WAPPUSH=+15551230001/TYPE=PLMN@ppg.example from another terminal:

  curl -u demo:demo-secret \\
    -H 'Content-Type: multipart/related; boundary=ppgd-example-boundary; type="application/xml"' \\
    --data-binary @$top/etc/example-push.txt $url

(push-id example-1@pi.example: a second run answers 2007, duplicate push-id.) Its status:

  curl -u demo:demo-secret -H 'Content-Type: application/xml' --data-binary \\
    '<?xml version="1.0"?><!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd"><pap><statusquery-message push-id="example-1@pi.example"/></pap>' \\
    $url

Starting: build/ppgd -c $conf   (Ctrl-C stops it)
EOT
exec build/ppgd -c "$conf"
