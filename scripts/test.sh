#!/usr/bin/env bash
# Builds and runs every test: fetches MNIST and Fashion-MNIST into .cache (the data tests and the
# experiments test read them), then `mvn test`.
# Extra arguments go to Maven, e.g. bash scripts/test.sh -pl tf-prune-examples -am
# The exit code is Maven's.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

bash scripts/fetch-mnist.sh
bash scripts/fetch-fashion-mnist.sh

command -v mvn >/dev/null 2>&1 \
  || { echo "test.sh: error: mvn not found; install Maven 3.8+ (Debian: apt-get install -y maven)." >&2; exit 1; }

export TF_CPP_MIN_LOG_LEVEL=2
export TF_ENABLE_ONEDNN_OPTS="${TF_ENABLE_ONEDNN_OPTS:-0}"
exec mvn -B -ntp test "$@"
