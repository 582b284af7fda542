// The number format of the training products. f32 is the reference; bf16
// rounds the operands of the large and the recurrent products to bfloat16 and
// sums in f32 (AMX tiles where the CPU has them). Weights, gradients, optimizer
// state, cells, the output layer and every checkpoint stay f32 either way, and
// evaluation and sampling always run in f32.
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
