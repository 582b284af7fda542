#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ into build-fuzz/ and runs each on
# its committed corpus in tests/fuzz/corpus/.
#   scripts/fuzz.sh            fixed seed and a fixed number of inputs per target:
#                              the same inputs on every machine, so CI is reproducible
#   scripts/fuzz.sh SECONDS    explore for SECONDS per target with a random seed
# Findings land in build-fuzz/; add them to the corpus once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-}"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCHARNN_FUZZ=ON -DCHARNN_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz
declare -A runs=([checkpoint]=1000000 [utf8]=6000000 [state_dict]=1000000)
for target in checkpoint utf8 state_dict; do
  work="build-fuzz/corpus-$target"
  rm -rf "$work" && mkdir -p "$work"
  if [ -n "$seconds" ]; then
    budget=(-max_total_time="$seconds")
    echo "fuzzing $target for ${seconds}s"
  else
    budget=(-runs="${runs[$target]}" -seed=1)
    echo "fuzzing $target: ${runs[$target]} inputs, seed 1"
  fi
  # The committed corpus is read-only input; new findings go to the work folder.
  status=0
  build-fuzz/tests/fuzz/fuzz_$target "${budget[@]}" -max_len=65536 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/" "$work" "tests/fuzz/corpus/$target" \
    >"build-fuzz/fuzz-$target.log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "build-fuzz/fuzz-$target.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "build-fuzz/fuzz-$target.log"
    exit "$status"
  fi
done
