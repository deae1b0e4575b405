#!/usr/bin/env bash
# What Kubernetes endpoints do for a Service, for platform/lb's nginx (whose open-source build has no active health
# checks): polls each replica's GET /ready and, when the set of ready replicas changes, re-renders the config with
# only those and reloads nginx (gracefully: requests in flight finish on the old worker).
#   follow-ready.sh <prefix dir> <listen host:port> <backend host:port>...   (until killed)
# This is what makes a SIGTERM cost no request: the replica turns not-ready at once and keeps answering for its
# drain delay (serve.with.drain_delay_ms, default 5 s, far longer than this poll); nginx stops sending it new
# requests, so when it closes its listening socket nothing is queued there to be reset. A killed replica drops
# out the same way (until then nginx's passive checks pass its refused connections on).
set -uo pipefail
prefix="${1:?usage: follow-ready.sh <prefix dir> <listen host:port> <backend host:port>...}"
listen="${2:?listen address}"
shift 2
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
interval="${FOLLOW_READY_INTERVAL:-0.25}"
current="$*"
declare -A misses=()
while true; do
  ready=()
  for b in "$@"; do
    if [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$b/ready")" == 200 ]]; then misses[$b]=0; else misses[$b]=$((${misses[$b]:-0} + 1)); fi
    # Out after two failed polls in a row (a loaded machine can miss one), back after one good one.
    ((${misses[$b]} < 2)) && ready+=("$b")
  done
  # None ready (all starting, or all draining): keep every replica rather than an empty group nginx rejects.
  ((${#ready[@]})) || ready=("$@")
  if [[ "${ready[*]}" != "$current" ]] && bash "$here/render-config.sh" "$prefix" "$listen" "${ready[@]}" &&
    nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" -s reload; then
    current="${ready[*]}"
    echo "follow-ready: nginx now sends to ${ready[*]}" >&2
  fi
  sleep "$interval"
done
