#!/usr/bin/env bash
# A third party's first steps with the template: copy sdk/template to a directory outside the tree,
# build it against a `cmake --install` prefix (plain flags, find_package(atsmigrate-sdk)), and run
# its own test: the loopback MyATS server and `atsmigrate plugin verify`, which must pass.
set -euo pipefail
build_dir=$1 source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cp -r "$source_dir/sdk/template" "$work/myats-connector"
cd "$work/myats-connector"
env -u CXXFLAGS -u LDFLAGS -u ATSMIGRATE_PLUGIN_PATH cmake -S . -B build \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build >/dev/null
grep -q "ATSMIGRATE_EXECUTABLE:FILEPATH=$work/prefix/bin/atsmigrate" build/CMakeCache.txt ||
  { echo "the template did not find the installed atsmigrate"; exit 1; }
exported=$(nm -D --defined-only build/libmyats.so | awk '{print $3}')
[ "$exported" = "atsm_connector_entry" ] || { echo "unexpected exports: $exported"; exit 1; }
# The template's test, then the same verify with --json to check every check ran and passed.
env -u ATSMIGRATE_PLUGIN_PATH ctest --test-dir build --output-on-failure
report=$(env -u ATSMIGRATE_PLUGIN_PATH test/verify.sh "$work/prefix/bin/atsmigrate" \
  build/libmyats.so --seed 4 --json)
python3 - "$report" <<'PY'
import json, sys
report = json.loads(sys.argv[1])
results = {check["name"]: check["result"] for check in report["checks"]}
# The template's source stores no file bytes, so source.files has nothing to check.
others = {name: result for name, result in results.items() if name != "source.files"}
if (len(results) != 18 or set(others.values()) != {"pass"}
        or results.get("source.files") not in ("pass", "skip") or not report["passed"]):
    sys.exit(f"the template does not pass every check: {results}")
PY
echo "template out of tree: builds against the install and passes plugin verify"
