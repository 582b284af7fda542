// The number format of the model's matrix products. f32 is the reference;
// bf16 rounds both operands to bfloat16 and sums in f32 (AMX tiles where the
// CPU has them). In training it covers the input projections and the recurrent
// products and their gradients; the output layer, the cells, weights,
// gradients, optimizer state and every checkpoint stay f32, and evaluation
// (validation, eval) always runs in f32. Sampling with bf16 rounds every
// product, the output layer's included.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace charnn {

enum class Precision { f32, bf16 };

inline std::string precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "f32"; }

// "f32" or "bf16"; nothing for any other spelling.
inline std::optional<Precision> parse_precision(std::string_view name) {
  if (name == "f32") return Precision::f32;
  if (name == "bf16") return Precision::bf16;
  return std::nullopt;
}

}  // namespace charnn
