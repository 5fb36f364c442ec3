#!/usr/bin/env bash
# Runs the compact-vs-dense latency benchmark on a GPU machine: builds tf-prune with the -Pgpu
# profile (TensorFlow's GPU native library), checks that TensorFlow sees a GPU, and runs
# `tf-prune bench` on the given export, printing the same table as on CPU (the exported graphs
# carry no device placement, so TensorFlow places them on the GPU). The C API client is built
# against the GPU library too.
#
# Usage: scripts/bench-gpu.sh SAVED_MODEL_DIR [bench options, e.g. --batches 1,32,256,1024]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: scripts/bench-gpu.sh SAVED_MODEL_DIR [bench options]" >&2
  exit 2
fi
MODEL="$1"
shift
if [ ! -f "${MODEL}/saved_model.pb" ] || [ ! -f "${MODEL}/report.json" ]; then
  echo "bench-gpu: ${MODEL} is not a directory written by 'tf-prune train' (saved_model.pb and" \
    "report.json): train a model first, e.g. bash scripts/main.sh" >&2
  exit 2
fi
if ! command -v nvidia-smi > /dev/null 2>&1 || ! nvidia-smi -L > /dev/null 2>&1; then
  echo "bench-gpu: no NVIDIA GPU visible (nvidia-smi missing or failing): run this on a GPU" \
    "machine with the CUDA driver installed" >&2
  exit 2
fi
nvidia-smi -L
(cd "${REPO_ROOT}" && mvn -q -B -Pgpu clean package -DskipTests)
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-1}"
# The GPU native jar needs javacpp's platform extension to load its library.
export TF_PRUNE_JAVA_OPTS="${TF_PRUNE_JAVA_OPTS:--Xmx4g} -Dorg.bytedeco.javacpp.platform.extension=-gpu"
export TF_NATIVE_CLASSIFIER=linux-x86_64-gpu
exec "${REPO_ROOT}/bin/tf-prune" bench --saved-model "${MODEL}" --step-epochs 0 "$@"
