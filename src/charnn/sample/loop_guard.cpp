// Cycle detection over the generated characters; see loop_guard.h.
#include "charnn/sample/loop_guard.h"

#include <algorithm>

namespace charnn {

void LoopGuard::restart() {
  run_.fill(0);
  count_ = 0;
}

void LoopGuard::push(int32_t token) {
  // back(p) reads the character p places before the new one; for p = kMaxPeriod
  // that is the slot about to be overwritten, so every read comes first.
  for (int p = 1; p <= kMaxPeriod && p <= count_; ++p) {
    run_[static_cast<size_t>(p)] = back(p) == token ? run_[static_cast<size_t>(p)] + 1 : 0;
  }
  recent_[static_cast<size_t>(count_ % kMaxPeriod)] = token;
  ++count_;
}

int LoopGuard::forbidden(int32_t* out) const {
  int n = 0;
  for (int p = 1; p <= kMaxPeriod && p <= count_; ++p) {
    // The last run_[p] + p characters have period p; one more equal to back(p) would make a cycle.
    if (run_[static_cast<size_t>(p)] + p + 1 < cycle_span(p)) continue;
    const int32_t next = back(p);
    if (std::find(out, out + n, next) == out + n) out[n++] = next;
  }
  return n;
}

}  // namespace charnn
