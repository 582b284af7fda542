#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ into build-fuzz/ and runs each for
# SECONDS (default 60) on its committed corpus in tests/fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCHARNN_FUZZ=ON -DCHARNN_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz
for target in checkpoint utf8 state_dict; do
  work="build-fuzz/corpus-$target"
  mkdir -p "$work"
  echo "fuzzing $target for ${seconds}s"
  # The committed corpus is read-only input; new findings go to the work folder.
  status=0
  build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/" "$work" "tests/fuzz/corpus/$target" >"build-fuzz/fuzz-$target.log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "build-fuzz/fuzz-$target.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "build-fuzz/fuzz-$target.log"
    exit "$status"
  fi
done
