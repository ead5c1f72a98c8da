#!/usr/bin/env bash
# The build refuses a plugin source that includes a core header (issue 21): the configure-time
# check (cmake/AtsmCheckPluginIncludes.cmake) fails naming file:line and pointing at the SDK, for
# each way of reaching the core; it accepts SDK, system and a plugin's own includes, and the
# in-tree plugins/ passes it.
# Usage: core_include_refused.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
check=$source_dir/cmake/AtsmCheckPluginIncludes.cmake
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_check() { cmake -DATSM_PLUGINS_DIR="$1" -P "$check" 2>&1; }

mkdir -p "$work/clean/acme"
cat >"$work/clean/acme/acme.cpp" <<'CPP'
#include <atsmigrate/connector.hpp>
#include <atsmigrate/model/codec.hpp>
#include <boost/json.hpp>
#include <sys/stat.h>
#include "acme_client.hpp"
int table[2]; // [ ; \ do not disturb line numbers
CPP
run_check "$work/clean" >/dev/null || { echo "SDK and system includes were refused"; exit 1; }
run_check "$source_dir/plugins" >/dev/null || { echo "the in-tree plugins include core headers"; exit 1; }

# One offending include per file, each on a known line after lines that could shift the count.
offending=('"core/host/plugin_host.hpp"' '"../../core/pipeline/run.hpp"' '<pipeline/run.hpp>'
           '"services/net/http.hpp"' '"net/http.hpp"' '"store/work_store.hpp"' '"verify/verify.hpp"'
           '"report/report.hpp"' '"cli/main.hpp"' '"host/registry.hpp"' '"model/record.hpp"'
           '"../lever/lever_client.hpp"')
for i in "${!offending[@]}"; do
  dir=$work/bad$i
  mkdir -p "$dir/acme"
  ext=$([ $((i % 2)) = 0 ] && echo hpp || echo c)
  printf '// a [ ; line\n\n#include <atsmigrate/connector.h>\n  #  include %s\n' "${offending[$i]}" \
    >"$dir/acme/bad.$ext"
  if output=$(run_check "$dir"); then
    echo "not refused: #include ${offending[$i]}"; exit 1
  fi
  echo "$output" | grep -q "acme/bad.$ext:4:" || { echo "no file:line for ${offending[$i]}: $output"; exit 1; }
  echo "$output" | grep -q "SDK" || { echo "the message does not point at the SDK: $output"; exit 1; }
done
# The build itself: plugins/ (with the cmake/ it includes) copied, one core include added to a
# real connector header, and configured as a project: the configure step fails with the message.
mkdir -p "$work/tree"
cp -r "$source_dir/plugins" "$source_dir/cmake" "$work/tree/"
header=$(find "$work/tree/plugins" -name '*.hpp' | sort | head -1)
echo '#include "host/plugin_host.hpp"' >>"$header"
line=$(wc -l <"$header")
shown=${header#"$work/tree/plugins/"}
if output=$(env -u CMAKE_PREFIX_PATH cmake -S "$work/tree/plugins" -B "$work/tree/build" 2>&1); then
  echo "plugins/ configured with a core include in $shown"; exit 1
fi
echo "$output" | grep -q "$shown:$line: #include \"host/plugin_host.hpp\"" ||
  { echo "the configure did not name $shown:$line: $output"; exit 1; }
echo "core includes from plugins/ are refused: ok"
