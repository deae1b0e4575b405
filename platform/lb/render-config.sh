#!/usr/bin/env bash
# Fills platform/lb/nginx.conf.template: render-config.sh <prefix dir> <listen host:port> <backend host:port>...
# Writes <prefix dir>/nginx.conf and creates the directories nginx writes to.
set -euo pipefail
prefix="${1:?usage: render-config.sh <prefix dir> <listen host:port> <backend host:port>...}"
listen="${2:?listen address}"
shift 2
(($#)) || { echo "render-config.sh: give at least one backend host:port" >&2; exit 2; }
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$prefix"/{client_body,proxy,fastcgi,uwsgi,scgi}
line() { echo "    server $1 max_fails=1 fail_timeout=5s;"; }
servers="$(for b in "$@"; do line "$b"; done)"
# For each replica i, a group of all the others (serve_except_i), and a map from the address that answered 503
# went to (the last one in $upstream_addr) to that group: a 503 is resent to another replica, never the same.
retry="map \$upstream_addr \$serve_retry {"$'\n'"    default serve;"$'\n'
groups=""
if (($# > 1)); then
  i=0
  for b in "$@"; do
    i=$((i + 1))
    retry+="    \"~(^| )${b//./\\.}\$\" serve_except_$i;"$'\n'
    groups+="  upstream serve_except_$i {"$'\n'"    least_conn;"$'\n'
    for o in "$@"; do [[ "$o" == "$b" ]] || groups+="$(line "$o")"$'\n'; done
    groups+="  }"$'\n'
  done
fi
retry+="  }"
awk -v prefix="$prefix" -v listen="$listen" -v servers="$servers" -v retry="  $retry"$'\n'"${groups%$'\n'}" '
  { gsub(/@PREFIX@/, prefix); gsub(/@LISTEN@/, listen) }
  /^@SERVERS@$/ { print servers; next }
  /^@RETRY@$/ { print retry; next }
  { print }
' "$here/nginx.conf.template" >"$prefix/nginx.conf.tmp"
mv "$prefix/nginx.conf.tmp" "$prefix/nginx.conf"
# Started as root, nginx runs its worker as www-data, which must be able to write the temp directories.
# It must also be able to enter the prefix (mktemp -d makes it 0700): without that, every body larger than
# client_body_buffer_size (16 KB: any photo) fails with 500 "Permission denied" on its temp file.
if [[ "$(id -u)" == 0 ]]; then
  chown www-data "$prefix"/{client_body,proxy,fastcgi,uwsgi,scgi}
  chmod o+x "$prefix"
fi
