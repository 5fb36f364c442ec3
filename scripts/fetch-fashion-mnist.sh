#!/usr/bin/env bash
# Installs Fashion-MNIST from Debian's package dataset-fashion-mnist, which puts four gzipped IDX
# files into /usr/share/datasets/fashion-mnist, where Datasets.load("fashion-mnist") looks by default.
# Idempotent: does nothing when the files are already there. Non-interactive.
#
# Usage: bash scripts/fetch-fashion-mnist.sh
set -euo pipefail

readonly PACKAGE="dataset-fashion-mnist"
readonly DEST="/usr/share/datasets/fashion-mnist"
readonly FILES=(
  train-images-idx3-ubyte.gz
  train-labels-idx1-ubyte.gz
  t10k-images-idx3-ubyte.gz
  t10k-labels-idx1-ubyte.gz
)

die() {
  echo "fetch-fashion-mnist: error: $*" >&2
  exit 1
}

all_present() {
  local name
  for name in "${FILES[@]}"; do
    [[ -s "${DEST}/${name}" ]] || return 1
  done
  return 0
}

if all_present; then
  echo "fetch-fashion-mnist: Fashion-MNIST already present in ${DEST}"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || die "apt-get not found: this script needs Debian or Ubuntu. Otherwise put the four files ${FILES[*]} into ${DEST} by hand."

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 \
    || die "installing ${PACKAGE} needs root, and sudo is not available. Run as root: apt-get install -y ${PACKAGE}"
  as_root=(sudo -n)
fi

log="$(mktemp "${TMPDIR:-/tmp}/fetch-fashion-mnist.XXXXXX")"
trap 'rm -f "${log}"' EXIT
if ! { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
       && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGE}"; } \
       </dev/null >"${log}" 2>&1; then
  cat "${log}" >&2
  die "'apt-get install ${PACKAGE}' failed (output above). Check the apt sources and the network, then run this script again."
fi

all_present || die "${PACKAGE} is installed but ${DEST} lacks some of ${FILES[*]}; the package layout has changed. Update this script."
echo "fetch-fashion-mnist: Fashion-MNIST ready in ${DEST} (from ${PACKAGE})"
