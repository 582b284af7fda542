// A text as vocabulary indices, one per character, stored in the narrowest
// width that holds every index: 1 byte when V <= 256 (every corpus here), 2 when
// V <= 65536, else 4. A 1 GB corpus so takes 1 GB in memory, not the 8 bytes a
// character that code points plus int32 indices took. Readers get int32
// indices, as the model takes them. It does not decode UTF-8 (tokenize.h does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace charnn {

class TokenText {
 public:
  // Bytes per token for a vocabulary of vocab_size symbols: 1, 2 or 4.
  static int width_for(int vocab_size);

  TokenText() = default;
  // Empty, with the width that fits indices below vocab_size.
  explicit TokenText(int vocab_size);
  // Implicit, so that a vector of indices (a test's, a short text's) can be
  // passed wherever a TokenText is read; the width fits its largest index.
  TokenText(const std::vector<int32_t>& indices);  // NOLINT: implicit

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int width() const { return width_; }
  size_t memory_bytes() const { return size_ * static_cast<size_t>(width_); }

  int32_t operator[](size_t i) const {
    switch (width_) {
      case 1: return narrow_[i];
      case 2: return medium_[i];
      default: return wide_[i];
    }
  }

  // Copies tokens [first, first + count) into out.
  void copy_out(size_t first, size_t count, int32_t* out) const;

  // Room for `count` tokens in all, so appending them allocates once.
  void reserve(size_t count);
  // Appends indices, each below the vocabulary size the width was chosen for.
  void append(std::span<const int32_t> indices);

  // Calls fn with a pointer to the stored tokens, typed by width (const
  // uint8_t*, const uint16_t* or const int32_t*): one switch per call, so a
  // loop over many tokens inside fn is specialised for the width.
  template <class Fn>
  decltype(auto) visit(Fn&& fn) const {
    switch (width_) {
      case 1: return fn(narrow_.data());
      case 2: return fn(medium_.data());
      default: return fn(wide_.data());
    }
  }

 private:
  int width_ = 1;
  size_t size_ = 0;
  std::vector<uint8_t> narrow_;   // width 1
  std::vector<uint16_t> medium_;  // width 2
  std::vector<int32_t> wide_;     // width 4
};

}  // namespace charnn
