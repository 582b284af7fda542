#!/usr/bin/env bash
# Installs charnn's build and test dependencies from Debian 12 packages.
# Idempotent: packages already present are left alone, so CI can call it every run.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-dev nlohmann-json3-dev libcli11-dev libfmt-dev libssl-dev
  libgtest-dev libbenchmark-dev
  # Bench only: oneDNN, for the LSTM peer bench/compare_pytorch.py measures
  # charnn against (bench/onednn_peer is built only where it is installed).
  libdnnl-dev
  libopenmpi-dev openmpi-bin
  clang libclang-rt-dev
  libcpp-httplib-dev
  # Tests only (each skips itself without them): `charnn serve` in a real
  # browser, PyTorch interop, and SVG -> PNG for looking at `charnn plot`.
  chromium python3-torch python3-numpy librsvg2-bin
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
