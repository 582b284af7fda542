#!/usr/bin/env bash
# Builds the library, binary and tests with ASan + UBSan into build-sanitize/
# and runs the whole test suite there.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHARNN_SANITIZE=ON -DCHARNN_BUILD_BENCH=OFF >/dev/null
cmake --build build-sanitize
# OpenBLAS' own threads are not instrumented; leaks at exit are its pool's, not ours.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-sanitize --output-on-failure -j2
