#!/usr/bin/env bash
# One training run on Kubernetes, from manifests written by `pipeline k8s render`:
#   bash platform/k8s/run-training.sh <rendered dir> [namespace] [app]
# 1. deletes the Jobs of the previous run (a Job's pod template is immutable, and the new run may use a new image);
# 2. applies <dir>/jobs: <app>-prepare starts (split, features, grid), <app>-train and <app>-finalize are suspended;
# 3. waits for prepare, resumes the Indexed Job of shards, waits, resumes finalize (train's runs reused, aggregate,
#    export, register), waits. Any Job that fails stops the run with its pods' logs.
# Kubernetes has no Job dependencies; this order is the whole "scheduler". JOB_TIMEOUT (seconds, default 7200)
# bounds each wait. KUBECTL names the kubectl to use (default kubectl).
set -euo pipefail
dir="${1:?usage: run-training.sh <rendered dir> [namespace] [app]}"
ns="${2:-food101}"
app="${3:-food101}"
kubectl="${KUBECTL:-kubectl}"
timeout="${JOB_TIMEOUT:-7200}"
poll="${JOB_POLL_SECONDS:-10}"

k() { "$kubectl" --namespace "$ns" "$@"; }

# Waits until job $1 has condition Complete (exit 0) or Failed (logs, exit 1), at most $timeout seconds.
wait_job() {
  local job="$1" waited=0 state
  while ((waited <= timeout)); do
    state="$(k get job "$job" -o 'jsonpath={range .status.conditions[?(@.status=="True")]}{.type} {end}')"
    case " $state " in
      *" Complete "*) echo "job/$job: complete"; return 0 ;;
      *" Failed "*)
        echo "::error::job/$job failed" >&2
        k logs --selector "job-name=$job" --all-containers --tail 200 --prefix >&2 || true
        return 1
        ;;
    esac
    sleep "$poll"
    waited=$((waited + poll))
  done
  echo "::error::job/$job did not finish within ${timeout}s" >&2
  return 1
}

resume() { k patch job "$1" --type merge --patch '{"spec":{"suspend":false}}'; }

k delete job --selector "app.kubernetes.io/part-of=$app,app.kubernetes.io/component=training" --ignore-not-found --wait=true
"$kubectl" apply -k "$dir/jobs"
wait_job "$app-prepare"
resume "$app-train"
wait_job "$app-train"
resume "$app-finalize"
wait_job "$app-finalize"
k logs "job/$app-finalize" --tail 50 || true
