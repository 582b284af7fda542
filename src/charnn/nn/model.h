// A stacked-LSTM language model: its configuration, parameter layout and flat
// parameter buffer, plus the training workspace and the forward/backward pass
// over a (T, B) batch of token indices. Inference one step at a time lives in
// inference.h; the scalar twin of this pass lives in model_ref.h.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "charnn/nn/aligned_vector.h"
#include "charnn/nn/lstm_bf16.h"
#include "charnn/nn/model_config.h"
#include "charnn/nn/parameters.h"
#include "charnn/nn/precision.h"

namespace charnn {

class Rng;

struct Model {
  explicit Model(const ModelConfig& model_config) : config(model_config), layout(model_config) {
    params.assign(layout.total(), 0.0f);
  }
  ModelConfig config;
  ParameterLayout layout;
  std::vector<float> params;  // the flat buffer every tensor is a view of
};

// Every buffer a training step needs, allocated once for at most (T, B); any
// smaller T' and B' use a prefix of each buffer.
class TrainingWorkspace {
 public:
  // precision applies to the training pass (model_forward with train = true
  // and model_backward); evaluation passes run in f32 whatever it says.
  TrainingWorkspace(const ModelConfig& config, int max_T, int max_B, Precision precision = Precision::f32);

  int max_T() const { return max_T_; }
  int max_B() const { return max_B_; }
  Precision precision() const { return precision_; }
  // Dropout multipliers (0 or 1/(1-p)) for layer k's output, (T, B, H).
  float* dropout_mask(int k) { return masks_[static_cast<size_t>(k)].data(); }

  // Public for the forward/backward pass in model.cpp; shapes as named.
  struct Layer {
    AlignedVector<float> gates, cells, hiddens, cell_tanh;  // see LstmCache
    AlignedVector<float> output;                            // (T, B, H) after dropout
  };
  std::vector<Layer> layers;
  std::vector<AlignedVector<float>> masks_;
  AlignedVector<float> probs;     // (T, B, V)
  AlignedVector<float> dhiddens;  // (T, B, H)
  AlignedVector<float> dbelow;    // (T, B, H)
  AlignedVector<float> dgates;    // (T, B, G)
  AlignedVector<float> dcell;     // (B, H)
  AlignedVector<float> w_ih_t;    // (V, G) transposed layer-0 input weights
  AlignedVector<float> w_hh_packed;  // lstm_packed_floats(H): one layer's W_hh, packed per unit block
  AlignedVector<float> hiddens_packed;  // lstm_hiddens_packed_floats(T, B, H): h rows for dW_hh, where packed
  std::vector<int32_t> targets; // (T, B) copy kept for the backward pass
  std::unique_ptr<LstmBf16Scratch> bf16;  // only with Precision::bf16; shared by the layers in turn

 private:
  int max_T_;
  int max_B_;
  Precision precision_;
};

// Draws fresh dropout masks for a (T, B) batch from rng, in (layer, T, B, H)
// order: for tests and callers that bring their own stream.
void fill_dropout_masks(TrainingWorkspace& ws, const ModelConfig& config, Rng& rng, int T, int B);

// Draws the dropout masks of a (T, B) batch whose column b has its own stream,
// Rng(seed, RngStream::dropout, first_stream + b), filling that window's T x H
// entries layer by layer. The trainer numbers streams by the step and the
// window's place in the global batch, so a window's mask does not depend on
// how many processes share the batch, nor on which column it lands in.
void fill_dropout_masks(TrainingWorkspace& ws, const ModelConfig& config, uint64_t seed, uint64_t first_stream, int T,
                        int B);

// Forward pass over (T, B) inputs and targets (time-major). Returns the summed
// cross-entropy in nats over the T x B predictions. With train = true the
// workspace's dropout masks are applied; with false dropout is off (eval).
double model_forward(TrainingWorkspace& ws, const Model& model, const int32_t* inputs, const int32_t* targets, int T,
                     int B, bool train);

// Backward pass for the last model_forward(train = true) on the same batch;
// accumulates dLoss/dparams into grads (flat, the model's layout), where Loss is
// the summed cross-entropy times `scale`.
void model_backward(float* grads, TrainingWorkspace& ws, const Model& model, const int32_t* inputs, int T, int B,
                    float scale);

}  // namespace charnn
