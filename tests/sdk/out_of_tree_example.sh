#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds sdk/examples/hello-connector out of tree
# against it with find_package(atsmigrate-sdk), and checks the installed atsmigrate loads it.
set -euo pipefail
build_dir=$1 source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for path in bin/atsmigrate include/atsmigrate/connector.h include/atsmigrate/connector.hpp \
            lib/cmake/atsmigrate-sdk/atsmigrate-sdkConfig.cmake; do
  [ -e "$work/prefix/$path" ] || { echo "install lacks $path"; exit 1; }
done
# The example is a third party's project: plain flags, no sanitizers, no project settings.
env -u CXXFLAGS -u LDFLAGS cmake -S "$source_dir/sdk/examples/hello-connector" -B "$work/hello" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/hello" >/dev/null
listing=$("$work/prefix/bin/atsmigrate" plugins list --json --plugin-path "$work/hello")
echo "$listing"
echo "$listing" | grep -q '"name":"hello"' || { echo "hello connector not listed"; exit 1; }
echo "$listing" | grep -q '"source_kinds":\["person","candidacy"\]' || { echo "kinds wrong"; exit 1; }
# Only the entry symbol is exported.
exported=$(nm -D --defined-only "$work/hello/libhello.so" | awk '{print $3}' | grep -v '^_' || true)
[ "$exported" = "atsm_connector_entry" ] || { echo "unexpected exports: $exported"; exit 1; }
echo "out-of-tree example: ok"
