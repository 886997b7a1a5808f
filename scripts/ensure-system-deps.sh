#!/usr/bin/env bash
# Installs the system packages Descent links against (OpenBLAS, LAPACKE, pkg-config, and
# Open MPI for DescentDistributed and its tests) when they are missing. Safe to run
# repeatedly; does nothing when everything is present.
set -euo pipefail
missing=()
for pkg in libopenblas-dev liblapacke-dev pkg-config libopenmpi-dev openmpi-bin; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-system-deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
