// Forward and backward over a batch for the stacked LSTM; see model.h.
#include "charnn/nn/model.h"

#include <cassert>
#include <cstring>

#include "charnn/nn/lstm.h"
#include "charnn/nn/output_layer.h"
#include "charnn/rng.h"

namespace charnn {

namespace {

size_t sz(int a, int b, int c = 1) { return static_cast<size_t>(a) * static_cast<size_t>(b) * static_cast<size_t>(c); }

LstmWeights layer_weights(const Model& model, int k) {
  const LstmLayerOffsets& at = model.layout.layer(k);
  const float* p = model.params.data();
  return {p + at.w_ih, p + at.w_hh, p + at.b_ih, p + at.b_hh, model.config.input_size(k), model.config.hidden};
}

LstmCache layer_cache(TrainingWorkspace::Layer& layer) {
  return {layer.gates.data(), layer.cells.data(), layer.hiddens.data(), layer.cell_tanh.data()};
}

// What layer k hands upward: h_1..h_T, or its dropped-out copy while training.
const float* layer_output(TrainingWorkspace& ws, const ModelConfig& config, int k, int B, bool train) {
  TrainingWorkspace::Layer& layer = ws.layers[static_cast<size_t>(k)];
  if (train && config.has_dropout(k)) return layer.output.data();
  return layer.hiddens.data() + sz(B, config.hidden);  // skip the zero initial state
}

}  // namespace

TrainingWorkspace::TrainingWorkspace(const ModelConfig& config, int max_T, int max_B, Precision precision)
    : max_T_(max_T), max_B_(max_B), precision_(precision) {
  const int H = config.hidden, G = config.gates(), V = config.vocab_size;
  layers.resize(static_cast<size_t>(config.layers));
  masks_.resize(static_cast<size_t>(config.layers));
  for (int k = 0; k < config.layers; ++k) {
    Layer& layer = layers[static_cast<size_t>(k)];
    layer.gates.assign(sz(max_T, max_B, G), 0.0f);
    layer.cells.assign(sz(max_T + 1, max_B, H), 0.0f);
    layer.hiddens.assign(sz(max_T + 1, max_B, H), 0.0f);
    layer.cell_tanh.assign(sz(max_T, max_B, H), 0.0f);
    if (config.has_dropout(k)) {
      layer.output.assign(sz(max_T, max_B, H), 0.0f);
      masks_[static_cast<size_t>(k)].assign(sz(max_T, max_B, H), 1.0f);
    }
  }
  probs.assign(sz(max_T, max_B, V), 0.0f);
  dhiddens.assign(sz(max_T, max_B, H), 0.0f);
  dbelow.assign(sz(max_T, max_B, H), 0.0f);
  dgates.assign(sz(max_T, max_B, G), 0.0f);
  dcell.assign(sz(max_B, H), 0.0f);
  w_ih_t.assign(sz(V, G), 0.0f);
  w_hh_packed.assign(lstm_packed_floats(H), 0.0f);
  if (precision == Precision::f32) hiddens_packed.assign(lstm_hiddens_packed_floats(max_T, max_B, H), 0.0f);
  targets.assign(sz(max_T, max_B), 0);
  // Dense inputs (layers above 0) are H wide; layer 0's one-hot input never rounds.
  if (precision == Precision::bf16) bf16 = std::make_unique<LstmBf16Scratch>(max_T, max_B, H, H, lstm_unit_block_width(H));
}

void fill_dropout_masks(TrainingWorkspace& ws, const ModelConfig& config, Rng& rng, int T, int B) {
  for (int k = 0; k < config.layers; ++k) {
    if (!config.has_dropout(k)) continue;
    const float p = config.dropout[static_cast<size_t>(k)];
    const float keep_scale = 1.0f / (1.0f - p);
    float* mask = ws.dropout_mask(k);
    const size_t n = sz(T, B, config.hidden);
    for (size_t i = 0; i < n; ++i) mask[i] = rng.uniform_float() < p ? 0.0f : keep_scale;
  }
}

void fill_dropout_masks(TrainingWorkspace& ws, const ModelConfig& config, uint64_t seed, uint64_t first_stream, int T,
                        int B) {
  const int H = config.hidden;
  for (int b = 0; b < B; ++b) {
    Rng rng(seed, RngStream::dropout, first_stream + static_cast<uint64_t>(b));
    for (int k = 0; k < config.layers; ++k) {
      if (!config.has_dropout(k)) continue;
      const float p = config.dropout[static_cast<size_t>(k)];
      const float keep_scale = 1.0f / (1.0f - p);
      float* mask = ws.dropout_mask(k);
      for (int t = 0; t < T; ++t) {  // mask is (T, B, H)
        float* row = mask + (static_cast<size_t>(t) * B + static_cast<size_t>(b)) * static_cast<size_t>(H);
        for (int h = 0; h < H; ++h) row[h] = rng.uniform_float() < p ? 0.0f : keep_scale;
      }
    }
  }
}

double model_forward(TrainingWorkspace& ws, const Model& model, const int32_t* inputs, const int32_t* targets, int T,
                     int B, bool train) {
  const ModelConfig& config = model.config;
  assert(T <= ws.max_T() && B <= ws.max_B());
  const size_t n = sz(T, B, config.hidden);
  for (int k = 0; k < config.layers; ++k) {
    TrainingWorkspace::Layer& layer = ws.layers[static_cast<size_t>(k)];
    const float* below = k == 0 ? nullptr : layer_output(ws, config, k - 1, B, train);
    lstm_forward(layer_cache(layer), below, k == 0 ? inputs : nullptr, ws.w_ih_t.data(), ws.w_hh_packed.data(),
                 layer_weights(model, k), T, B, train ? ws.bf16.get() : nullptr);
    if (train && config.has_dropout(k)) {
      const float* h = layer.hiddens.data() + sz(B, config.hidden);
      const float* mask = ws.dropout_mask(k);
      for (size_t i = 0; i < n; ++i) layer.output[i] = h[i] * mask[i];
    }
  }
  std::memcpy(ws.targets.data(), targets, sizeof(int32_t) * sz(T, B));
  const float* top = layer_output(ws, config, config.layers - 1, B, train);
  return output_forward(ws.probs.data(), top, model.params.data() + model.layout.fc_weight(),
                        model.params.data() + model.layout.fc_bias(), targets, T * B, config.hidden,
                        config.vocab_size);
}

void model_backward(float* grads, TrainingWorkspace& ws, const Model& model, const int32_t* inputs, int T, int B,
                    float scale) {
  const ModelConfig& config = model.config;
  const ParameterLayout& layout = model.layout;
  const size_t n = sz(T, B, config.hidden);
  const float* top = layer_output(ws, config, config.layers - 1, B, true);
  output_backward(ws.dbelow.data(), grads + layout.fc_weight(), grads + layout.fc_bias(), ws.probs.data(), top,
                  model.params.data() + layout.fc_weight(), ws.targets.data(), T * B, config.hidden,
                  config.vocab_size, scale);
  for (int k = config.layers - 1; k >= 0; --k) {
    // dbelow holds dLoss/d(layer k's output); through the mask to dLoss/dh.
    if (config.has_dropout(k)) {
      const float* mask = ws.dropout_mask(k);
      for (size_t i = 0; i < n; ++i) ws.dhiddens[i] = ws.dbelow[i] * mask[i];
    } else {
      std::memcpy(ws.dhiddens.data(), ws.dbelow.data(), sizeof(float) * n);
    }
    const LstmLayerOffsets& at = layout.layer(k);
    const LstmGrads layer_grads{grads + at.w_ih, grads + at.w_hh, grads + at.b_ih, grads + at.b_hh};
    TrainingWorkspace::Layer& layer = ws.layers[static_cast<size_t>(k)];
    const float* below = k == 0 ? nullptr : layer_output(ws, config, k - 1, B, true);
    lstm_backward(k == 0 ? nullptr : ws.dbelow.data(), layer_grads, ws.dhiddens.data(), ws.dgates.data(),
                  ws.dcell.data(), ws.w_ih_t.data(), ws.w_hh_packed.data(), ws.hiddens_packed.data(),
                  layer_cache(layer), below,
                  k == 0 ? inputs : nullptr, layer_weights(model, k), T, B, ws.bf16.get());
  }
}

}  // namespace charnn
