#!/usr/bin/env bash
# N local `pipeline serve` replicas behind nginx, on loopback ports, until Ctrl-C (or SIGTERM):
#   bash platform/lb/serve-replicas.sh [N=2] [base port=22000] [pipeline file=pipelines/food101.yaml]
# nginx listens on 127.0.0.1:<base>; replica i listens on 127.0.0.1:<base+i> (i = 1..N). They share the store the
# pipeline file names (with MLOPS_STORE_URL=postgres://... every replica logs to one PostgreSQL). The nginx prefix
# (config, logs) is a temporary directory, printed at start and removed at exit.
# REPLICA_COMMAND replaces the replica command ({port} is substituted), e.g. for a stand-in server in a test.
set -euo pipefail
n="${1:-2}"
base="${2:-22000}"
file="${3:-pipelines/food101.yaml}"
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd -- "$here/../.." && pwd)"
[[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1)) || { echo "serve-replicas.sh: N must be a whole number >= 1" >&2; exit 2; }
command -v nginx >/dev/null || { echo "serve-replicas.sh: nginx is not installed (Debian: apt-get install nginx)" >&2; exit 2; }
prefix="$(mktemp -d "${TMPDIR:-/tmp}/serve-replicas.XXXXXX")"
pids=()

stop() {
  trap - EXIT INT TERM
  # SIGTERM: each replica drains its in-flight requests; nginx stops at once (-s would need its pid file).
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$prefix"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

default_command="node $root/bin/pipeline.js serve $file --host 127.0.0.1 --port {port}"
# (A default with braces cannot go inside ${REPLICA_COMMAND:-...}: its first '}' would end the expansion.)
if [[ -n "${REPLICA_COMMAND:-}" ]]; then default_command="$REPLICA_COMMAND"; fi
backends=()
for i in $(seq 1 "$n"); do
  port=$((base + i))
  backends+=("127.0.0.1:$port")
  cmd="$default_command"
  # shellcheck disable=SC2086 # the command is a word list on purpose
  (cd "$root" && exec ${cmd//\{port\}/$port}) &
  pids+=("$!")
done
bash "$here/render-config.sh" "$prefix" "127.0.0.1:$base" "${backends[@]}"
nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" &
pids+=("$!")
# Replicas that turn not-ready (SIGTERM, loading) or die leave nginx's group, as Kubernetes endpoints would.
bash "$here/follow-ready.sh" "$prefix" "127.0.0.1:$base" "${backends[@]}" &
pids+=("$!")
echo "serve-replicas: nginx on http://127.0.0.1:$base -> ${backends[*]} (logs in $prefix)"
wait -n "${pids[@]}" || true
echo "serve-replicas: a process exited; stopping the others" >&2
exit 1
