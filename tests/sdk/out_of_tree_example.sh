#!/usr/bin/env bash
# Installs the build into a temporary prefix and checks the installed layout (README, issue 3);
# builds sdk/examples/hello-connector, copied out of the tree, against the SDK-only install (the
# sdk.install fixture, issue 21) with find_package(atsmigrate-sdk), and checks the installed
# atsmigrate loads it next to the installed vendor plugins. The template configured against the
# product's install finds the installed atsmigrate by itself.
# Usage: out_of_tree_example.sh BUILD_DIR SOURCE_DIR SDK_WORK_DIR
set -euo pipefail
build_dir=$1 source_dir=$2 sdk_prefix=$3/prefix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for path in bin/atsmigrate bin/ats-sandbox \
            lib/atsmigrate/plugins/liblever.so lib/atsmigrate/plugins/libgreenhouse.so \
            lib/atsmigrate/plugins/libashby.so lib/atsmigrate/plugins/libarchive.so \
            include/atsmigrate/connector.h include/atsmigrate/connector.hpp \
            lib/cmake/atsmigrate-sdk/atsmigrate-sdkConfig.cmake; do
  [ -f "$work/prefix/$path" ] || { echo "install lacks $path"; exit 1; }
done
for program in bin/atsmigrate bin/ats-sandbox; do
  [ -x "$work/prefix/$program" ] || { echo "installed $program is not executable"; exit 1; }
done
for path in share/doc/atsmigrate-sdk/README.md share/doc/atsmigrate-sdk/template/CMakeLists.txt \
            share/doc/atsmigrate-sdk/examples/hello-connector/CMakeLists.txt; do
  [ -f "$work/prefix/$path" ] || { echo "install lacks $path"; exit 1; }
done
# The example is a third party's project: plain flags, no sanitizers, no project settings, only
# the SDK-only install on the prefix path.
cp -r "$source_dir/sdk/examples/hello-connector" "$work/hello-src"
env -u CXXFLAGS -u LDFLAGS -u CMAKE_PREFIX_PATH cmake -S "$work/hello-src" -B "$work/hello" \
  -DCMAKE_PREFIX_PATH="$sdk_prefix" >/dev/null
cmake --build "$work/hello" >/dev/null
grep -q "^atsmigrate-sdk_DIR:PATH=$sdk_prefix/" "$work/hello/CMakeCache.txt" ||
  { echo "the example did not build against the SDK-only install"; exit 1; }
# The template, configured against the product's install, finds the installed atsmigrate for
# its verify test by itself.
cp -r "$source_dir/sdk/template" "$work/template-src"
env -u CXXFLAGS -u LDFLAGS -u CMAKE_PREFIX_PATH cmake -S "$work/template-src" -B "$work/template" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
grep -q "ATSMIGRATE_EXECUTABLE:FILEPATH=$work/prefix/bin/atsmigrate" "$work/template/CMakeCache.txt" ||
  { echo "the template did not find the installed atsmigrate"; exit 1; }
# Only what the installation and --plugin-path hold: no plugin directory from the caller's shell.
listing=$(env -u ATSMIGRATE_PLUGIN_PATH "$work/prefix/bin/atsmigrate" plugins list --json \
  --plugin-path "$work/hello")
echo "$listing"
echo "$listing" | grep -q '"name":"hello"' || { echo "hello connector not listed"; exit 1; }
echo "$listing" | grep -q '"source_kinds":\["person","candidacy"\]' || { echo "kinds wrong"; exit 1; }
# The installed binary finds the installed vendor plugins by itself and refuses nothing; checked
# on the parsed JSON. Roles are README's: Lever and Greenhouse are sources, Ashby is a sink.
python3 - "$listing" "$work/prefix" "$work/hello" <<'EOF'
import json, os, sys
listing = json.loads(sys.argv[1])
prefix, hello_dir = (os.path.realpath(path) for path in sys.argv[2:4])
plugins = {plugin["name"]: plugin for plugin in listing["plugins"]}
expected = {"lever": ["source"], "greenhouse": ["source"], "ashby": ["sink"], "archive": ["sink"],
            "hello": ["source"]}
for name, roles in expected.items():
    if name not in plugins:
        sys.exit(f"{name} is not listed by the installed atsmigrate")
    if plugins[name]["roles"] != roles:
        sys.exit(f"{name}: roles {plugins[name]['roles']}, expected {roles}")
for name in ("lever", "greenhouse", "ashby", "archive"):
    path = os.path.realpath(plugins[name]["path"])
    want = os.path.join(prefix, "lib/atsmigrate/plugins", f"lib{name}.so")
    if path != want:
        sys.exit(f"{name} was loaded from {path}, not from the installation ({want})")
if os.path.dirname(os.path.realpath(plugins["hello"]["path"])) != hello_dir:
    sys.exit(f"hello was loaded from {plugins['hello']['path']}, not from {hello_dir}")
if listing["refused"] != []:
    sys.exit(f"refused plugins: {listing['refused']}")
if len(plugins) != len(expected):
    sys.exit(f"unexpected plugins: {sorted(plugins)}")
EOF
# Only the entry symbol is exported.
exported=$(nm -D --defined-only "$work/hello/libhello.so" | awk '{print $3}' | grep -v '^_' || true)
[ "$exported" = "atsm_connector_entry" ] || { echo "unexpected exports: $exported"; exit 1; }
echo "out-of-tree example: ok"
