// Where each named tensor lives in the one flat parameter buffer.
// Names, shapes and order are those of a PyTorch nn.LSTM + nn.Linear state dict,
// and the row-major layout matches PyTorch's, so a checkpoint tensor is a view
// of the buffer. Gradients and optimizer moments use the same layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "charnn/nn/model_config.h"

namespace charnn {

struct TensorSlot {
  std::string name;            // e.g. "lstm.weight_ih_l0"
  std::vector<int64_t> shape;  // e.g. {4H, V}
  size_t offset = 0;           // in floats from the start of the buffer
  size_t size = 0;             // element count
};

struct LstmLayerOffsets {
  size_t w_ih = 0;  // (G, E): E = V for layer 0, H above
  size_t w_hh = 0;  // (G, H)
  size_t b_ih = 0;  // (G)
  size_t b_hh = 0;  // (G)
};

class ParameterLayout {
 public:
  explicit ParameterLayout(const ModelConfig& config);

  size_t total() const { return total_; }  // buffer length, alignment gaps included
  size_t parameter_count() const;           // trainable values, gaps excluded
  const std::vector<TensorSlot>& tensors() const { return tensors_; }
  const LstmLayerOffsets& layer(int k) const { return layers_[static_cast<size_t>(k)]; }
  size_t fc_weight() const { return fc_weight_; }  // (V, H)
  size_t fc_bias() const { return fc_bias_; }      // (V)

 private:
  size_t add(std::string name, std::vector<int64_t> shape);
  std::vector<TensorSlot> tensors_;
  std::vector<LstmLayerOffsets> layers_;
  size_t fc_weight_ = 0;
  size_t fc_bias_ = 0;
  size_t total_ = 0;
};

}  // namespace charnn
