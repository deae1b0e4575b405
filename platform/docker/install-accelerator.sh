#!/usr/bin/env bash
# Native accelerators, run after `npm ci` in the image builds: `install-accelerator.sh cpu|gpu` (build arg ACCELERATOR).
#   cpu: drop @tensorflow/tfjs-node-gpu (an optional dependency whose GPU libtensorflow only adds weight without CUDA);
#        @tensorflow/tfjs-node stays where its install worked (native CPU training speed).
#   gpu: fetch onnxruntime-node's CUDA 12 execution provider (npm ci skips that download: package.json's allowScripts
#        denies onnxruntime-node's install script, and the image's npm ci runs with ONNXRUNTIME_NODE_INSTALL=skip) and make
#        sure @tensorflow/tfjs-node-gpu installed: npm silently drops an optional dependency whose install failed.
set -euo pipefail
cd "${APP_DIR:-/app}"

case "${1:-cpu}" in
  cpu)
    rm -rf node_modules/@tensorflow/tfjs-node-gpu
    ;;
  gpu)
    # The install script itself, run directly: npm does not run it (allowScripts denies it).
    ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js
    if ! compgen -G 'node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v*/tfjs_binding.node' >/dev/null; then
      spec="$(node -p "const p = require('./package.json'); ({ ...p.dependencies, ...p.optionalDependencies })['@tensorflow/tfjs-node-gpu'] ?? '^4.22.0'")"
      npm install --no-save --omit=dev --foreground-scripts "@tensorflow/tfjs-node-gpu@${spec}"
    fi
    compgen -G 'node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v*/tfjs_binding.node' >/dev/null || {
      echo "install-accelerator: @tensorflow/tfjs-node-gpu did not install (its install script downloads libtensorflow)" >&2
      exit 1
    }
    ;;
  *)
    echo "install-accelerator: expected cpu or gpu, got '$1'" >&2
    exit 2
    ;;
esac
