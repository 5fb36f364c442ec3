#!/usr/bin/env bash
# Checks that tf-prune gives the same result from MNIST written in every format it reads.
#
# Writes MNIST (.cache/mnist) as IDX, TFRecord (raw bytes, one shard), TFRecord (PNG, four
# shards) and .npz (Keras' layout) into OUT (default /tmp/tf-prune-user-data), then:
#   1. `train` from each format, data in memory: the compact widths, MACs, params, accuracy and
#      the per-epoch history in report.json must equal the IDX run's exactly;
#   2. `prune` of a SavedModel exported by an IDX run (with --strength 0, see below), from each format: the same, exactly;
#   3. `train` from the PNG shards with --stream, seeds 1 2 3: the streamed data comes in another
#      order, so the accuracy must be within 4 standard errors of the difference of two
#      accuracies on n test examples, 4*sqrt(2 p (1-p) / n), of the IDX run with the same seed.
# With `--big COPIES`, afterwards also: the training set tiled COPIES times with small noise as
# raw-byte TFRecords (4 shards, about 50 MB per copy), one streamed epoch with a 512 MB heap, and
# the in-memory IDX reader for as many steps; peak resident memory from /usr/bin/time -v; the
# tiled files are deleted at the end.
#
# Build first: mvn -B -q package -DskipTests (it compiles the test classes that write the files).
# Usage: scripts/user-data-check.sh [OUT] [--big COPIES [--only-big]]
set -euo pipefail
set -f # the globs below are tf-prune's, not the shell's
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="/tmp/tf-prune-user-data"
BIG=0
ONLY_BIG=0
while [ $# -gt 0 ]; do
  case "$1" in
    --big) BIG="$2"; shift 2 ;;
    --only-big) ONLY_BIG=1; shift ;;
    *) OUT="$1"; shift ;;
  esac
done
export TF_ENABLE_ONEDNN_OPTS="${TF_ENABLE_ONEDNN_OPTS:-0}" TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
CLASSES="${REPO_ROOT}/tf-prune-core/target/test-classes"
LIB="${REPO_ROOT}/tf-prune-examples/target/lib"
if [ ! -f "${CLASSES}/org/tfprune/data/UserDataFiles.class" ] || [ ! -d "${LIB}" ]; then
  echo "user-data-check: not built yet; run: (cd ${REPO_ROOT} && mvn -q -B package -DskipTests)" >&2
  exit 1
fi
if [ -e "${OUT}" ]; then
  echo "user-data-check: ${OUT} exists; remove it or name another directory" >&2
  exit 1
fi
TF_PRUNE="${REPO_ROOT}/bin/tf-prune"
RUN_TIMEOUT="${RUN_TIMEOUT:-900}"
java -cp "${CLASSES}:${LIB}/*" org.tfprune.data.UserDataFiles formats "${REPO_ROOT}/.cache/mnist" "${OUT}"
D="${OUT}"
COMMON=(--train-limit 10000 --test-limit 2000)
TRAIN=(--model lenet-300-100 --epochs 3 --finetune-epochs 1 --no-baseline "${COMMON[@]}")
PRUNE=(--seed 1 --epochs 2 --finetune-epochs 1 "${COMMON[@]}")
declare -A DATA=(
  [idx]="--data ${D}/idx"
  [raw]="--data ${D}/raw-train.tfrecord --eval-data ${D}/raw-test.tfrecord --input-shape 28,28,1"
  [png]="--data ${D}/png-train-*.tfrecord --eval-data ${D}/png-test-*.tfrecord"
  [npz]="--data ${D}/mnist.npz"
)
FORMATS=(idx raw png npz)

run() { # name, command...
  local name="$1"; shift
  echo "== ${name}: tf-prune $*"
  local rc=0
  timeout "${RUN_TIMEOUT}" "${TF_PRUNE}" "$@" > "${D}/${name}.log" 2>&1 || rc=$?
  if [ "${rc}" != 0 ]; then
    echo "FAILED (exit ${rc}), see ${D}/${name}.log" >&2
    tail -5 "${D}/${name}.log" >&2
    exit 1
  fi
}

# Compares two report.json files: exactly (all results and the history but timings and paths)
# or, with a third argument, the accuracy within the noise bound.
compare() {
  python3 - "$@" <<'EOF'
import json, math, sys
a, b = (json.load(open(p + "/report.json")) for p in sys.argv[1:3])
noisy = len(sys.argv) > 3
def results(r):
    hist = [{k: v for k, v in e.items() if k != "seconds"} for e in r["history"]]
    c = r["compact"]
    return {"widths": c["widths"], "macs": c["macs"], "params": c["params"],
            "testAccuracy": c["testAccuracy"], "gates": r["gates"], "history": hist,
            "trainExamples": r["settings"]["trainExamples"],
            "testExamples": r["settings"]["testExamples"]}
ra, rb = results(a), results(b)
if noisy:
    p, n = ra["testAccuracy"], ra["testExamples"]
    bound = 4 * math.sqrt(2 * p * (1 - p) / n)
    d = rb["testAccuracy"] - p
    ok = abs(d) <= bound
    print(f"   accuracy {rb['testAccuracy']:.4f} vs {p:.4f}: difference {d:+.4f}, bound "
          f"4*sqrt(2p(1-p)/n) = {bound:.4f} (n={n}); widths {rb['widths']} vs {ra['widths']}, "
          f"MACs {rb['macs']} vs {ra['macs']}: {'OK' if ok else 'OUTSIDE THE BOUND'}")
    sys.exit(0 if ok else 1)
if ra == rb:
    print(f"   identical: widths {ra['widths']}, MACs {ra['macs']}, accuracy "
          f"{ra['testAccuracy']}, {len(ra['history'])} epochs of history")
    sys.exit(0)
for k in ra:
    if ra[k] != rb[k]:
        print(f"   DIFFERENT {k}: {ra[k]} vs {rb[k]}")
sys.exit(1)
EOF
}

status=0
if [ "${ONLY_BIG}" = 0 ]; then
for f in "${FORMATS[@]}"; do
  # shellcheck disable=SC2086
  run "train-${f}" train "${TRAIN[@]}" --seed 1 ${DATA[$f]} --out "${D}/train-${f}"
  [ "${f}" = idx ] || compare "${D}/train-idx" "${D}/train-${f}" || status=1
done
# prune reads a dense model: a tf-prune export whose input features were pruned selects them with
# GatherV2/Transpose, which the importer does not map; --strength 0 keeps every input.
run "train-idx-dense" train "${TRAIN[@]}" --seed 1 ${DATA[idx]} --strength 0 --out "${D}/train-idx-dense"
for f in "${FORMATS[@]}"; do
  # shellcheck disable=SC2086
  run "prune-${f}" prune --saved-model "${D}/train-idx-dense" "${PRUNE[@]}" ${DATA[$f]} --out "${D}/prune-${f}"
  [ "${f}" = idx ] || compare "${D}/prune-idx" "${D}/prune-${f}" || status=1
done
for seed in 1 2 3; do
  if [ "${seed}" != 1 ]; then
    # shellcheck disable=SC2086
    run "train-idx-seed${seed}" train "${TRAIN[@]}" ${DATA[idx]} --seed "${seed}" --out "${D}/train-idx-seed${seed}"
  fi
  ref="${D}/train-idx"; [ "${seed}" = 1 ] || ref="${D}/train-idx-seed${seed}"
  # shellcheck disable=SC2086
  run "train-png-stream-seed${seed}" train "${TRAIN[@]}" ${DATA[png]} --stream --seed "${seed}" --out "${D}/train-png-stream-seed${seed}"
  grep -h "streamed training data" "${D}/train-png-stream-seed${seed}.log" | sed 's/^/   /'  || true
  compare "${ref}" "${D}/train-png-stream-seed${seed}" noisy || status=1
done
fi

if [ "${BIG}" -gt 0 ]; then
  java -cp "${CLASSES}:${LIB}/*" org.tfprune.data.UserDataFiles big "${REPO_ROOT}/.cache/mnist" "${D}/big" "${BIG}" 4
  du -sh "${D}/big"
  # big: pruning as usual (the graph shrinks while it streams); big-s0 and idx-s0: --strength 0
  # keeps the network whole, so the steps cost the same and the readers compare: one epoch of
  # the tiled data streamed with a 512 MB heap, and as many epochs of MNIST from the in-memory
  # IDX reader (the same number of steps)
  for what in big big-s0 idx-s0; do
    case "${what}" in
      big) args=(--data "${D}/big/big-*.tfrecord" --eval-data "${D}/raw-test.tfrecord" --input-shape 28,28,1 --epochs 1)
        heap=-Xmx512m ;;
      big-s0) args=(--data "${D}/big/big-*.tfrecord" --eval-data "${D}/raw-test.tfrecord" --input-shape 28,28,1 --epochs 1 --strength 0)
        heap=-Xmx512m ;;
      idx-s0) args=(--data "${D}/idx" --epochs "${BIG}" --strength 0)
        heap=-Xmx4g ;;
    esac
    echo "== ${what} (${heap})"
    TF_PRUNE_JAVA_OPTS="${heap}" timeout "${RUN_TIMEOUT}" /usr/bin/time -v "${TF_PRUNE}" train \
      --model lenet-300-100 --seed 1 --finetune-epochs 0 --no-baseline \
      "${args[@]}" --out "${D}/big-train-${what}" > "${D}/big-train-${what}.log" 2>&1 || {
        echo "FAILED, see ${D}/big-train-${what}.log" >&2; status=1; }
    grep -E "compact  |training steps|training wall|streamed training|Maximum resident|Elapsed \(wall" \
      "${D}/big-train-${what}.log" | sed 's/^/   /' || true
  done
  rm -rf "${D}/big"
fi
[ "${status}" = 0 ] && echo "all checks passed" || echo "SOME CHECKS FAILED" >&2
exit "${status}"
