#!/usr/bin/env bash
# The four in-tree connectors built as a third party builds one (issue 21): plugins/ configured as
# a top-level project against the SDK-only install (sdk.install fixture) and nothing else of the
# tree, at plain -O0 to keep it cheap. Their compile commands reach no core or in-tree SDK
# directory, and each .so exports only atsm_connector_entry. The product's own build is checked
# the same way: no plugin translation unit there has an include path into core/.
# Usage: plugins_against_sdk.sh BUILD_DIR SOURCE_DIR SDK_WORK_DIR
set -euo pipefail
build_dir=$1 source_dir=$2 sdk_work=$3
prefix=$sdk_work/prefix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -f "$prefix/include/atsmigrate/connector.h" ] || { echo "no SDK install at $prefix"; exit 1; }
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
env -u CXXFLAGS -u LDFLAGS -u CMAKE_PREFIX_PATH cmake -S "$source_dir/plugins" -B "$work/build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS=-O0 "${launcher[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log"; echo "plugins/ does not configure against the SDK-only install"; exit 1; }
started=$SECONDS
cmake --build "$work/build" -j2 --target lever greenhouse ashby archive >"$work/build.log" ||
  { tail -50 "$work/build.log"; echo "plugins/ does not build against the SDK-only install"; exit 1; }
echo "the four connectors built against the SDK in $((SECONDS - started)) s"

python3 - "$work/build/compile_commands.json" "$build_dir/compile_commands.json" "$source_dir" "$prefix" <<'PY'
import json, os, shlex, sys
standalone, product = sys.argv[1], sys.argv[2]
source, prefix = (os.path.realpath(path) for path in sys.argv[3:5])

def include_dirs(entry):
    words = shlex.split(entry["command"])
    dirs = []
    for i, word in enumerate(words):
        for flag in ("-I", "-isystem"):
            if word == flag:
                dirs.append(words[i + 1])
            elif word.startswith(flag) and len(word) > len(flag):
                dirs.append(word[len(flag):])
    return [os.path.realpath(os.path.join(entry["directory"], d)) for d in dirs]

def plugin_units(path):
    return [e for e in json.load(open(path))
            if os.path.realpath(e["file"]).startswith(os.path.join(source, "plugins") + os.sep)]

def under(path, root):
    return path == root or path.startswith(root + os.sep)

# Standalone: the only tree directories on the include path are the plugins' own (the SDK's
# headers come from the install, which may itself lie in a build dir inside the tree).
units = plugin_units(standalone)
if not units:
    sys.exit("no plugin translation unit in the standalone build")
for entry in units:
    for d in include_dirs(entry):
        if (under(d, source) and not under(d, os.path.join(source, "plugins"))
                and not under(d, prefix)):
            sys.exit(f"{entry['file']}: include path {d} is in the tree outside plugins/")
# The product's build: no plugin translation unit has an include path into core/.
units = plugin_units(product)
if not units:
    sys.exit(f"no plugin translation unit in {product}")
for entry in units:
    for d in include_dirs(entry):
        if under(d, os.path.join(source, "core")):
            sys.exit(f"{entry['file']}: include path {d} reaches core/")
PY

for name in lever greenhouse ashby archive; do
  plugin=$work/build/lib/atsmigrate/plugins/lib$name.so
  [ -f "$plugin" ] || { echo "lib$name.so was not built"; exit 1; }
  exported=$(nm -D --defined-only "$plugin" | awk '{print $3}')
  [ "$exported" = "atsm_connector_entry" ] || { echo "lib$name.so exports: $exported"; exit 1; }
done
echo "plugins against the SDK-only install: ok"
