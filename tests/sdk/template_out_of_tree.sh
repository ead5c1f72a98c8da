#!/usr/bin/env bash
# A third party's first steps with the template: copy sdk/template, as the SDK-only install holds
# it (the sdk.install fixture, issue 21), to a directory of its own, build it against that install
# alone (plain flags, find_package(atsmigrate-sdk)), and run its own test with the build tree's
# atsmigrate (-DATSMIGRATE_EXECUTABLE): the loopback MyATS server and `atsmigrate plugin verify`,
# which must pass.
# Usage: template_out_of_tree.sh BUILD_DIR SOURCE_DIR SDK_WORK_DIR
set -euo pipefail
build_dir=$1 source_dir=$2 sdk_prefix=$3/prefix
atsmigrate=$build_dir/bin/atsmigrate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$sdk_prefix/share/doc/atsmigrate-sdk/template" "$work/myats-connector"
cmp -s "$source_dir/sdk/template/src/myats_connector.cpp" "$work/myats-connector/src/myats_connector.cpp" ||
  { echo "the installed template is not the tree's"; exit 1; }
cd "$work/myats-connector"
env -u CXXFLAGS -u LDFLAGS -u ATSMIGRATE_PLUGIN_PATH -u CMAKE_PREFIX_PATH cmake -S . -B build \
  -DCMAKE_PREFIX_PATH="$sdk_prefix" -DATSMIGRATE_EXECUTABLE="$atsmigrate" >/dev/null
cmake --build build >/dev/null
grep -q "^atsmigrate-sdk_DIR:PATH=$sdk_prefix/" build/CMakeCache.txt ||
  { echo "the template did not build against the SDK-only install"; exit 1; }
exported=$(nm -D --defined-only build/libmyats.so | awk '{print $3}')
[ "$exported" = "atsm_connector_entry" ] || { echo "unexpected exports: $exported"; exit 1; }
# The template's test, then the same verify with --json to check every check ran and passed.
env -u ATSMIGRATE_PLUGIN_PATH ctest --test-dir build --output-on-failure
report=$(env -u ATSMIGRATE_PLUGIN_PATH test/verify.sh "$atsmigrate" \
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
