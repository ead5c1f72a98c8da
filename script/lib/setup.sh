# Sourced by script/demo and script/test: installs the Debian 12 packages the build needs when
# any is missing, then offers `configure_and_build DIR [cmake args...]`.

# One list, used by both commands (and by the README's "Build from source"). make: the SDK's
# tests build the template, the example and the SDK itself with CMake's default generator, as a
# third party does.
ATSM_PACKAGES=(
  cmake ninja-build make g++ pkg-config ccache binutils python3 python3-jsonschema python3-rfc3987 time
  libboost1.81-dev libboost-json1.81-dev libboost-filesystem1.81-dev
  libcurl4-openssl-dev libssl-dev libspdlog-dev libfmt-dev libsqlite3-dev
  libcli11-dev libgtest-dev libcpp-httplib-dev libgumbo-dev
  chromium
  libxlsxwriter-dev python3-openpyxl
)

ensure_packages() {
  local missing=()
  for package in "${ATSM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 3
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

configure_and_build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}
