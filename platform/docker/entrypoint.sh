#!/usr/bin/env bash
# Entry point of the food101 images (and usable as is from a checkout: `bash platform/docker/entrypoint.sh serve`).
#
#   train [run options]   pipeline run $PIPELINE_FILE --until $TRAIN_UNTIL (default: register), i.e. everything but
#                         the long-running serve stage; extra options go to `pipeline run` (--force, --set k=v, ...)
#   serve [serve options] pipeline serve --host $HOST --port $PORT [--model $MODEL_NAME] [--alias $MODEL_ALIAS];
#                         an option given on the command line replaces the one from the environment
#   dev [command...]      refresh node_modules if package-lock.json changed, then run the command (default: bash)
#   help                  this text
#   bash|sh|node|npm|npx  run that program (for tools that pass a whole command line, e.g. `mlflow run`)
#   anything else         passed to the CLI unchanged: validate, plan, run, runs, registry, mlflow, ...
#
# `--overrides "k=v k=v"` anywhere in the arguments becomes `--set k=v --set k=v` (an empty string adds nothing):
# one argument for tools that can pass only one value, such as MLflow Projects parameters. PIPELINE_OVERRIDES
# (same format) is added to `train` as well.
# Environment: APP_DIR (the checkout or /app), PIPELINE_FILE, TRAIN_UNTIL, PORT, HOST, MODEL_NAME, MODEL_ALIAS.
# ENTRYPOINT_DRY_RUN=1 prints the command (one argument a line) instead of running it (tests, debugging).
set -euo pipefail

APP_DIR="${APP_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}"
export APP_DIR
PIPELINE_FILE="${PIPELINE_FILE:-pipelines/food101.yaml}"
cd "$APP_DIR"

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# Runs (exec) the command, or prints it under ENTRYPOINT_DRY_RUN.
launch() {
  if [[ "${ENTRYPOINT_DRY_RUN:-}" == 1 ]]; then
    printf '%s\n' "$@"
    exit 0
  fi
  exec "$@"
}

pipeline() {
  launch node "$APP_DIR/bin/pipeline.js" "$@"
}

# Expands `--overrides "a=1 b=2"` (or --overrides=...) into `--set a=1 --set b=2`; sets the array ARGS.
expand_overrides() {
  ARGS=()
  while (($#)); do
    case "$1" in
      --overrides | --overrides=*)
        local list
        if [[ "$1" == --overrides ]]; then
          (($# >= 2)) || { echo "entrypoint: --overrides needs a value" >&2; exit 2; }
          list="$2"
          shift
        else
          list="${1#--overrides=}"
        fi
        local items item
        read -r -a items <<<"$list"
        for item in "${items[@]+"${items[@]}"}"; do ARGS+=(--set "$item"); done
        ;;
      *) ARGS+=("$1") ;;
    esac
    shift
  done
}

mode="${1:-help}"
(($#)) && shift

case "$mode" in
  train)
    expand_overrides --overrides "${PIPELINE_OVERRIDES:-}" "$@"
    pipeline run "$PIPELINE_FILE" --until "${TRAIN_UNTIL:-register}" "${ARGS[@]+"${ARGS[@]}"}"
    ;;
  serve)
    # libuv sizes its pool from the environment before any JavaScript runs: from the CPU given, unless set.
    [[ -n "${UV_THREADPOOL_SIZE:-}" ]] || UV_THREADPOOL_SIZE="$(node "$APP_DIR/bin/uv-threadpool-size.js")" && export UV_THREADPOOL_SIZE
    # Options given on the command line win over the environment's (only one of each is passed).
    args=(serve)
    given() { [[ " $* " == *" $opt "* || " $* " == *" $opt="* ]]; }
    for pair in "--host=${HOST:-0.0.0.0}" "--port=${PORT:-8000}" "--model=${MODEL_NAME:-}" "--alias=${MODEL_ALIAS:-}"; do
      opt="${pair%%=*}"
      value="${pair#*=}"
      if [[ -n "$value" ]] && ! given "$@"; then args+=("$opt" "$value"); fi
    done
    pipeline "${args[@]}" "$@"
    ;;
  dev)
    # node_modules lives in a volume in the dev container: reinstall when the lockfile moved on.
    stamp=node_modules/.package-lock.sha256
    want="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [[ "${ENTRYPOINT_DRY_RUN:-}" != 1 && "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
      echo "entrypoint: package-lock.json changed, running npm ci" >&2
      npm ci --include=dev
      bash platform/docker/install-accelerator.sh "${ACCELERATOR:-cpu}"
      echo "$want" >"$stamp"
    fi
    if (($#)); then launch "$@"; else launch bash; fi
    ;;
  help | -h | --help)
    usage
    ;;
  bash | sh | node | npm | npx)
    launch "$mode" "$@"
    ;;
  *)
    expand_overrides "$mode" "$@"
    pipeline "${ARGS[@]}"
    ;;
esac
