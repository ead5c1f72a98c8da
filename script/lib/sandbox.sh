# Sourced by script/demo and bench/migrate: starts ats-sandbox in the background and prepares the
# atsmigrate arguments that point a migration at it.
#
#   start_sandbox BUILD_DIR RUN_DIR SANDBOX_ARGS...   sets sandbox_pid; stopped by stop_sandbox
#   sandbox_field NAME                                 a member of the sandbox's ready line
#   migration_args SOURCE SCALE                        fills the array `args`
#   accept_starter_mapping WORKDIR                     the operator's step the demo shows

sandbox_pid=""

start_sandbox() {
  local build_dir=$1 run_dir=$2
  shift 2
  sandbox_ready="$run_dir/ready.json"
  "$build_dir/bin/ats-sandbox" "$@" >"$sandbox_ready" &
  sandbox_pid=$!
  for _ in $(seq 1200); do
    grep -q '"ready":true' "$sandbox_ready" 2>/dev/null && return 0
    kill -0 "$sandbox_pid" 2>/dev/null || { echo "the sandbox failed to start" >&2; exit 3; }
    sleep 0.1
  done
  echo "the sandbox did not become ready in 120 s" >&2
  exit 3
}

stop_sandbox() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  sandbox_pid=""
}

sandbox_field() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$sandbox_ready" "$1"
}

migration_args() {
  local source_name=$1 scale=$2
  args=(--source "$source_name" --sink ashby --credentials "$(sandbox_field credentials)"
        --set "$source_name.base_url=$(sandbox_field "$source_name")" --set "$source_name.rate_scale=$scale"
        --set "ashby.base_url=$(sandbox_field ashby)" --set "ashby.rate_limit_per_minute=$((1000 * scale))"
        --set ashby.confidential_jobs=proceed)  # the datasets' confidential jobs are not held
  # The sandbox serves Greenhouse's token endpoint beside the API.
  if [ "$source_name" = greenhouse ]; then
    args+=(--set "greenhouse.token_url=$(sandbox_field greenhouse)/token")
  fi
}

# Users who have no Ashby account (deactivated, or never invited) are credited to the
# migration's own Ashby user: the one edit of the starter mapping the sandbox's dataset needs.
accept_starter_mapping() {
  python3 - "$1/mapping.json" <<'PY'
import json, sys
path = sys.argv[1]
mapping = json.load(open(path))
mapping["options"]["fallback_user"] = "migration-bot@acme.example"
json.dump(mapping, open(path, "w"), indent=1)
PY
}
