#!/usr/bin/env bash
# Puts the four gzipped Fashion-MNIST IDX files into <repo>/.cache/fashion-mnist, where
# Datasets.load("fashion-mnist") looks by default.
#
# The files come from Debian's package dataset-fashion-mnist: the script fetches the .deb with
# `apt-get download` and unpacks it with `dpkg-deb -x` into a temporary directory, so it neither
# installs the package nor writes to /usr/share (and works whether or not dpkg thinks the package
# is installed). When /usr/share/datasets/fashion-mnist already holds the files (the package is
# installed), they are copied from there instead. Idempotent: does nothing when the files are
# already in place with their exact sizes. Non-interactive (works with CI=true and no stdin).
#
# Usage: bash scripts/fetch-fashion-mnist.sh
set -euo pipefail

readonly PACKAGE="dataset-fashion-mnist"
readonly INSTALLED="/usr/share/datasets/fashion-mnist"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly DEST="${REPO_ROOT}/.cache/fashion-mnist"

# name:size in bytes of each gzipped IDX file as the package ships it.
readonly FILES=(
  "train-images-idx3-ubyte.gz:26421856"
  "train-labels-idx1-ubyte.gz:29491"
  "t10k-images-idx3-ubyte.gz:4422079"
  "t10k-labels-idx1-ubyte.gz:5125"
)

die() {
  echo "fetch-fashion-mnist: error: $*" >&2
  exit 1
}

file_size() {
  stat -c %s "$1" 2>/dev/null || echo -1
}

# True when every file is in directory $1 with its exact size.
all_present_in() {
  local entry
  for entry in "${FILES[@]}"; do
    [[ "$(file_size "$1/${entry%%:*}")" == "${entry##*:}" ]] || return 1
  done
  return 0
}

# Copies the files from directory $1 into DEST, each under a temporary name first and then
# renamed, so that an interrupted run never leaves a partial file under a final name.
copy_into_place() {
  local entry name
  mkdir -p "${DEST}"
  for entry in "${FILES[@]}"; do
    name="${entry%%:*}"
    cp "$1/${name}" "${DEST}/.${name}.part"
    mv -f "${DEST}/.${name}.part" "${DEST}/${name}"
  done
}

if all_present_in "${DEST}"; then
  echo "fetch-fashion-mnist: Fashion-MNIST already present in ${DEST}"
  exit 0
fi

if all_present_in "${INSTALLED}"; then
  copy_into_place "${INSTALLED}"
  all_present_in "${DEST}" || die "copying from ${INSTALLED} left ${DEST} incomplete; check the disk space and permissions of ${DEST}."
  echo "fetch-fashion-mnist: Fashion-MNIST ready in ${DEST} (copied from ${INSTALLED})"
  exit 0
fi

for tool in apt-get dpkg-deb; do
  command -v "${tool}" >/dev/null 2>&1 \
    || die "${tool} not found: this script needs Debian or Ubuntu. Otherwise put the four files $(printf '%s ' "${FILES[@]%%:*}")into ${DEST} by hand."
done

scratch="$(mktemp -d "${TMPDIR:-/tmp}/fetch-fashion-mnist.XXXXXX")"
trap 'rm -rf "${scratch}"' EXIT
# apt's download sandbox user (_apt) must be able to write the .deb here.
chmod 0755 "${scratch}"
mkdir -m 0777 "${scratch}/deb"

download() {
  (cd "${scratch}/deb" && env DEBIAN_FRONTEND=noninteractive apt-get download -qq "${PACKAGE}") \
    </dev/null >"${scratch}/apt.log" 2>&1
}

if ! download; then
  # The package lists may be missing (a fresh container) or stale: refresh them and try again.
  as_root=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 \
      || { cat "${scratch}/apt.log" >&2; die "'apt-get download ${PACKAGE}' failed (output above) and refreshing the package lists needs root, but sudo is not available. Run 'apt-get update' as root, then this script again."; }
    as_root=(sudo -n)
  fi
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      </dev/null >>"${scratch}/apt.log" 2>&1 || ! download; then
    cat "${scratch}/apt.log" >&2
    die "'apt-get download ${PACKAGE}' failed (output above). Check that the apt sources list Debian's main component (bookworm or later) and that they are reachable, then run this script again."
  fi
fi

debs=("${scratch}"/deb/"${PACKAGE}"_*.deb)
[[ -f "${debs[0]}" ]] || die "'apt-get download ${PACKAGE}' succeeded but left no .deb in ${scratch}/deb."
dpkg-deb -x "${debs[0]}" "${scratch}/root" \
  || die "'dpkg-deb -x ${debs[0]}' failed: the download is corrupt. Run this script again."

src="${scratch}/root${INSTALLED}"
all_present_in "${src}" \
  || die "${PACKAGE} does not hold $(printf '%s ' "${FILES[@]}")under ${INSTALLED}: the package layout has changed. Update this script."

copy_into_place "${src}"
all_present_in "${DEST}" || die "Fashion-MNIST files are still missing from ${DEST} after copying; check the disk space and permissions of ${DEST}."
echo "fetch-fashion-mnist: Fashion-MNIST ready in ${DEST} (4 gzipped IDX files from ${PACKAGE})"
