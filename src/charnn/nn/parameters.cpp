// ParameterLayout: the PyTorch-compatible order of named tensors; see parameters.h.
#include "charnn/nn/parameters.h"

#include <fmt/format.h>

namespace charnn {

ParameterLayout::ParameterLayout(const ModelConfig& config) {
  const int64_t G = config.gates();
  const int64_t H = config.hidden;
  const int64_t V = config.vocab_size;
  for (int k = 0; k < config.layers; ++k) {
    LstmLayerOffsets offsets;
    offsets.w_ih = add(fmt::format("lstm.weight_ih_l{}", k), {G, config.input_size(k)});
    offsets.w_hh = add(fmt::format("lstm.weight_hh_l{}", k), {G, H});
    offsets.b_ih = add(fmt::format("lstm.bias_ih_l{}", k), {G});
    offsets.b_hh = add(fmt::format("lstm.bias_hh_l{}", k), {G});
    layers_.push_back(offsets);
  }
  fc_weight_ = add("fc.weight", {V, H});
  fc_bias_ = add("fc.bias", {V});
}

size_t ParameterLayout::parameter_count() const {
  size_t n = 0;
  for (const TensorSlot& slot : tensors_) n += slot.size;
  return n;
}

size_t ParameterLayout::add(std::string name, std::vector<int64_t> shape) {
  size_t size = 1;
  for (int64_t d : shape) size *= static_cast<size_t>(d);
  // Keep every tensor 16-float (64-byte) aligned inside the buffer so vector
  // loads never straddle cache lines at a tensor start.
  const size_t offset = (total_ + 15) / 16 * 16;
  tensors_.push_back({std::move(name), std::move(shape), offset, size});
  total_ = offset + size;
  return offset;
}

}  // namespace charnn
