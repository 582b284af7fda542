// How every speed figure here is taken: a piece of work (a chunk) run again
// and again for about `seconds`, at least 3 times, after one untimed warm-up,
// and the median chunk rate reported, which a neighbour's burst on a shared
// machine moves less than a mean. Header-only and standard C++ only, so the
// oneDNN peer (bench/onednn_peer*) times its work with exactly this code.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace charnn {

struct BenchRate {
  double chars_per_second = 0.0;  // the median chunk's
  double best_chars_per_second = 0.0;
  int chunks = 0;  // chunks timed
};

// `chunk()` yields chars_per_chunk characters each time it runs.
template <class Chunk>
BenchRate time_chunks(double seconds, double chars_per_chunk, Chunk&& chunk) {
  using Clock = std::chrono::steady_clock;
  chunk();
  std::vector<double> rates;
  const auto start = Clock::now();
  while (rates.size() < 3 || std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    const auto t0 = Clock::now();
    chunk();
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(chars_per_chunk / std::max(dt, 1e-12));
  }
  std::sort(rates.begin(), rates.end());
  BenchRate rate;
  const size_t n = rates.size();
  rate.chars_per_second = n % 2 == 1 ? rates[n / 2] : 0.5 * (rates[n / 2 - 1] + rates[n / 2]);
  rate.best_chars_per_second = rates.back();
  rate.chunks = static_cast<int>(n);
  return rate;
}

}  // namespace charnn
