#!/usr/bin/env bash
# The template's test: starts the loopback MyATS server, then runs every conformance check of
# `atsmigrate plugin verify` on the built connector against it.
#   test/verify.sh ATSMIGRATE PLUGIN_SO [extra plugin verify options]
set -euo pipefail
atsmigrate=$1 plugin=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
key="test-key-$RANDOM"
python3 "$here/fake_myats.py" "$key" > "$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
[ -n "$port" ] || { echo "the loopback server did not start"; exit 1; }
printf '{"myats": {"base_url": "http://127.0.0.1:%s/v1", "page_size": 2}}\n' "$port" > "$work/config.json"
(umask 077; echo "MYATS_API_KEY=$key" > "$work/credentials")
"$atsmigrate" plugin verify "$plugin" --config "$work/config.json" \
  --credentials "$work/credentials" "$@"
