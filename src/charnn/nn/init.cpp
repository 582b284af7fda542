// Keras-style LSTM initialisation; see init.h.
#include "charnn/nn/init.h"

#include <cmath>
#include <vector>

#include "charnn/rng.h"

namespace charnn {

namespace {

void glorot_uniform(float* w, int fan_out, int fan_in, Rng& rng) {
  const double limit = std::sqrt(6.0 / (fan_in + fan_out));
  const size_t n = static_cast<size_t>(fan_out) * static_cast<size_t>(fan_in);
  for (size_t i = 0; i < n; ++i) w[i] = static_cast<float>((2.0 * rng.uniform_double() - 1.0) * limit);
}

// Standard normal by Box-Muller; only used at initialisation, so clarity wins.
double normal(Rng& rng) {
  const double u1 = 1.0 - rng.uniform_double();  // (0, 1]
  const double u2 = rng.uniform_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// An (n x n) orthogonal matrix: Gram-Schmidt (twice, for stability in double)
// on the rows of a Gaussian matrix, which gives a Haar-distributed matrix as the
// QR route Keras takes does.
std::vector<double> random_orthogonal(int n, Rng& rng) {
  std::vector<double> q(static_cast<size_t>(n) * static_cast<size_t>(n));
  for (double& x : q) x = normal(rng);
  for (int i = 0; i < n; ++i) {
    double* row = &q[static_cast<size_t>(i) * static_cast<size_t>(n)];
    for (int pass = 0; pass < 2; ++pass) {
      for (int j = 0; j < i; ++j) {
        const double* prev = &q[static_cast<size_t>(j) * static_cast<size_t>(n)];
        double dot = 0.0;
        for (int k = 0; k < n; ++k) dot += row[k] * prev[k];
        for (int k = 0; k < n; ++k) row[k] -= dot * prev[k];
      }
    }
    double norm = 0.0;
    for (int k = 0; k < n; ++k) norm += row[k] * row[k];
    norm = std::sqrt(norm);
    for (int k = 0; k < n; ++k) row[k] /= norm;
  }
  return q;
}

}  // namespace

void initialize_parameters(float* params, const ModelConfig& config, const ParameterLayout& layout, uint64_t seed) {
  Rng rng(seed, RngStream::init, 0);
  const int H = config.hidden;
  const int G = config.gates();
  for (size_t i = 0; i < layout.total(); ++i) params[i] = 0.0f;
  for (int k = 0; k < config.layers; ++k) {
    const LstmLayerOffsets& at = layout.layer(k);
    glorot_uniform(params + at.w_ih, G, config.input_size(k), rng);
    // Keras makes the (H, 4H) recurrent kernel orthogonal as a whole; in the
    // PyTorch (4H, H) layout each gate's (H, H) block gets its own orthogonal
    // matrix, which keeps every gate's recurrence norm-preserving.
    for (int gate = 0; gate < 4; ++gate) {
      const std::vector<double> q = random_orthogonal(H, rng);
      float* block = params + at.w_hh + static_cast<size_t>(gate) * static_cast<size_t>(H) * static_cast<size_t>(H);
      for (size_t i = 0; i < q.size(); ++i) block[i] = static_cast<float>(q[i]);
    }
    // Forget gate (rows H..2H) bias 1, carried by bias_ih; bias_hh stays 0, so
    // the sum the cell sees matches Keras' single bias.
    for (int r = H; r < 2 * H; ++r) params[at.b_ih + static_cast<size_t>(r)] = 1.0f;
  }
  glorot_uniform(params + layout.fc_weight(), config.vocab_size, H, rng);
}

}  // namespace charnn
