#!/usr/bin/env bash
# The SDK on its own (issue 21): `cmake -S sdk` configured, built and installed into a clean
# prefix with only that prefix on CMAKE_PREFIX_PATH and no CXXFLAGS/LDFLAGS from the caller. The
# host's extra packages are disabled for find_package and must not appear in the cache, so the SDK
# builds on a machine without them. The other sdk.* tests build against this prefix (ctest fixture).
# Usage: sdk_only_install.sh SOURCE_DIR WORK_DIR   (installs into WORK_DIR/prefix)
set -euo pipefail
source_dir=$1 work=$2
rm -rf "$work"
mkdir -p "$work"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
host_packages=(CURL SQLite3 spdlog fmt CLI11 OpenSSL PkgConfig)
disabled=()
for package in "${host_packages[@]}"; do disabled+=("-DCMAKE_DISABLE_FIND_PACKAGE_$package=ON"); done
env -u CXXFLAGS -u LDFLAGS -u CMAKE_PREFIX_PATH cmake -S "$source_dir/sdk" -B "$work/build" \
  --no-warn-unused-cli -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" "${disabled[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log"; echo "the SDK-only configure failed"; exit 1; }
cmake --build "$work/build" -j2 >"$work/build.log" || { cat "$work/build.log"; exit 1; }
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null

# Nothing of the host was looked for: no cache entry names one of its packages (the lines that
# disable them above aside).
looked_for=$(grep -v '^CMAKE_DISABLE_FIND_PACKAGE_' "$work/build/CMakeCache.txt" | cut -d: -f1 |
  grep -iE 'curl|sqlite|spdlog|(^|_)fmt|cli11|xlsxwriter|gumbo|httplib|chrom|openssl|pkg_?config' || true)
[ -z "$looked_for" ] || { echo "the SDK-only configure looked for host packages: $looked_for"; exit 1; }

# What the install holds: headers, the model library (and the kit's when built), the schemas, the
# CMake package and the guide with the sink protocol, template and example.
prefix=$work/prefix
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$work/build/CMakeCache.txt")
doc=share/doc/atsmigrate-sdk
for path in include/atsmigrate/connector.h include/atsmigrate/connector.hpp \
            include/atsmigrate/model/record.hpp include/atsmigrate/model/codec.hpp \
            "$libdir/libatsm_model.a" \
            share/atsmigrate/schema/person.schema.json share/atsmigrate/schema/record.schema.json \
            "$libdir/cmake/atsmigrate-sdk/atsmigrate-sdkConfig.cmake" \
            "$libdir/cmake/atsmigrate-sdk/atsmigrate-sdkConfigVersion.cmake" \
            "$libdir/cmake/atsmigrate-sdk/atsmigrate-sdk-targets.cmake" \
            "$libdir/cmake/atsmigrate-sdk/AtsmigrateConnector.cmake" \
            "$libdir/cmake/atsmigrate-sdk/connector.version" \
            $doc/README.md $doc/docs/sink-protocol.md \
            $doc/template/CMakeLists.txt $doc/template/README.md $doc/template/src/myats_connector.cpp \
            $doc/template/test/verify.sh $doc/template/test/fake_myats.py \
            $doc/examples/hello-connector/CMakeLists.txt $doc/examples/hello-connector/hello_connector.cpp; do
  [ -f "$prefix/$path" ] || { echo "the SDK install lacks $path"; exit 1; }
done
[ -x "$prefix/$doc/template/test/verify.sh" ] || { echo "installed template/test/verify.sh is not executable"; exit 1; }
if [ -d "$source_dir/sdk/kit" ]; then
  [ -d "$prefix/include/atsmigrate/kit" ] || { echo "the SDK install lacks include/atsmigrate/kit"; exit 1; }
  grep -q 'atsmigrate::kit' "$prefix/$libdir/cmake/atsmigrate-sdk/atsmigrate-sdk-targets.cmake" ||
    { echo "the SDK's CMake package lacks atsmigrate::kit"; exit 1; }
fi
# Only the SDK: no host program, plugin or host library.
unexpected=$(cd "$prefix" && find . -path ./include -prune -o -path ./share -prune -o -type f -print |
  grep -vE "^\./$libdir/(libatsm_model\.a|libatsm_kit\.a|cmake/atsmigrate-sdk/.*)$" || true)
[ -z "$unexpected" ] || { echo "the SDK install holds more than the SDK: $unexpected"; exit 1; }
# The package version is the ABI's (connector.h).
abi_major=$(sed -n 's/^#define ATSM_ABI_VERSION_MAJOR \([0-9]*\)u.*/\1/p' "$source_dir/sdk/include/atsmigrate/connector.h")
abi_minor=$(sed -n 's/^#define ATSM_ABI_VERSION_MINOR \([0-9]*\)u.*/\1/p' "$source_dir/sdk/include/atsmigrate/connector.h")
grep -q "PACKAGE_VERSION \"$abi_major.$abi_minor\"" \
  "$prefix/$libdir/cmake/atsmigrate-sdk/atsmigrate-sdkConfigVersion.cmake" ||
  { echo "the SDK package version is not the ABI's $abi_major.$abi_minor"; exit 1; }
echo "SDK-only build and install: ok ($prefix)"
