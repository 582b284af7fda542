// A small, fast, seedable random generator (xoshiro256**) with a state that is
// four integers, so a checkpoint can store it and a run can resume bit for bit.
// Streams are derived from (seed, purpose, counter), which keeps data order,
// dropout and initialisation independent of each other and of thread counts.
#pragma once

#include <array>
#include <cstdint>

namespace charnn {

// One round of splitmix64: the recommended way to expand a seed into state.
inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Purposes keep derived streams apart even when counters coincide.
enum class RngStream : uint64_t { init = 1, split = 2, shuffle = 3, dropout = 4, sample = 5 };

class Rng {
 public:
  explicit Rng(uint64_t seed) { reseed(seed); }
  Rng(uint64_t seed, RngStream stream, uint64_t counter) {
    uint64_t x = seed;
    uint64_t a = splitmix64(x) ^ (static_cast<uint64_t>(stream) * 0xd1b54a32d192ed03ull);
    uint64_t b = a ^ (counter * 0x9e3779b97f4a7c15ull);
    reseed(splitmix64(b));
  }

  void reseed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& word : state_) word = splitmix64(x);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 24 random bits: exact in float, identical everywhere.
  float uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  // Uniform in [0, 1) with 53 random bits.
  double uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, without modulo bias (rejects the top sliver).
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x = next_u64();
    while (x >= limit) x = next_u64();
    return x % n;
  }

  const std::array<uint64_t, 4>& state() const { return state_; }
  void set_state(const std::array<uint64_t, 4>& s) { state_ = s; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> state_{};
};

}  // namespace charnn
