#!/usr/bin/env bash
# Install, build and run the whole test suite (ctest runs unit tests and the real binary).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j2
