#!/usr/bin/env bash
# Builds the C API latency client (scripts/c-bench/tfbench.c) against the TensorFlow library inside
# TF-Java's native jar. Prints the path of the binary; exits 3 with a message when no C compiler
# or no native jar is found (the Java benchmark does not need it).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CC="${CC:-gcc}"
if ! command -v "${CC}" > /dev/null 2>&1; then
  echo "build-c-bench: no C compiler (${CC}) on this machine: the C client is skipped" >&2
  exit 3
fi
CLASSIFIER="${TF_NATIVE_CLASSIFIER:-linux-x86_64}"
OUT="${REPO_ROOT}/target/c-bench/${CLASSIFIER}"
JAR="$(ls "${REPO_ROOT}"/tf-prune-examples/target/lib/tensorflow-core-native-*-"${CLASSIFIER}".jar \
  2> /dev/null | head -1 || true)"
if [ -z "${JAR}" ]; then
  JAR="$(ls "${HOME}"/.m2/repository/org/tensorflow/tensorflow-core-native/1.0.0/tensorflow-core-native-1.0.0-"${CLASSIFIER}".jar 2> /dev/null | head -1 || true)"
fi
if [ -z "${JAR}" ]; then
  echo "build-c-bench: no tensorflow-core-native ${CLASSIFIER} jar found: build tf-prune first" \
    "(mvn -q -B package -DskipTests)" >&2
  exit 3
fi
mkdir -p "${OUT}"
if [ ! -f "${OUT}/lib/libtensorflow_cc.so.2" ] || [ "${JAR}" -nt "${OUT}/lib/libtensorflow_cc.so.2" ]; then
  rm -rf "${OUT}/lib" "${OUT}/unpack"
  mkdir -p "${OUT}/lib" "${OUT}/unpack"
  (cd "${OUT}/unpack" && unzip -q -o "${JAR}" 'org/tensorflow/internal/c_api/*/libtensorflow*.so*')
  find "${OUT}/unpack" -name 'libtensorflow*.so*' -exec mv {} "${OUT}/lib/" \;
  rm -rf "${OUT}/unpack"
fi
"${CC}" -O2 -o "${OUT}/tfbench" "${REPO_ROOT}/scripts/c-bench/tfbench.c" \
  -L"${OUT}/lib" -l:libtensorflow_cc.so.2 -l:libtensorflow_framework.so.2 \
  -Wl,-rpath,"${OUT}/lib"
echo "${OUT}/tfbench"
