// Noticing that generation has fallen into a cycle, and naming the characters
// that would carry it on, so the sampler can forbid them for one draw.
//
// The rule: the generated stream is in a cycle when its last L characters have
// a period p (each equals the one p places before it) with p <= kMaxPeriod and
// L >= max(kRepeats * p, kMinSpan): the same block three times in a row, and
// at least 32 characters of it. Before each draw the guard lists, for every p
// whose periodic run is one character short of that, the character that would
// extend the run (the one p places back). The sampler masks those characters
// for that draw, so a cycle never completes; the model must leave it. The run
// of period p that ended restarts from zero, so a model that drifts back into
// the same loop is stopped again after another full stretch.
//
// Why these bounds: natural text repeats short blocks ("ha ha ha", "....") but
// rarely 32 characters' worth, and rarely a longer phrase three times running.
// Periods up to 128 cover a looping sentence or a repeated name with its
// newline. It does not judge what is generated, only that it repeats; it does
// not see the prime, only characters drawn since the last restart().
//
// State is fixed-size: push() and forbidden() allocate nothing and cost O(kMaxPeriod).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace charnn {

class LoopGuard {
 public:
  static constexpr int kMaxPeriod = 128;
  static constexpr int kRepeats = 3;
  static constexpr int kMinSpan = 32;

  // Forgets every character seen, as at the start of an item.
  void restart();
  // Records the character just drawn.
  void push(int32_t token);
  // Writes the distinct characters that would complete a cycle if drawn next
  // into out (room for kMaxPeriod entries), shortest period first; returns how many.
  int forbidden(int32_t* out) const;

  // Characters a cycle of period p must span before it counts as one.
  static int64_t cycle_span(int p) { return p * kRepeats > kMinSpan ? p * kRepeats : kMinSpan; }

 private:
  int32_t back(int p) const { return recent_[static_cast<size_t>((count_ - p) % kMaxPeriod)]; }

  std::array<int32_t, kMaxPeriod> recent_{};   // ring of the last kMaxPeriod characters, by count_ % kMaxPeriod
  std::array<int64_t, kMaxPeriod + 1> run_{};  // run_[p]: latest positions in a row equal to the one p back
  int64_t count_ = 0;                          // characters pushed since restart()
};

}  // namespace charnn
