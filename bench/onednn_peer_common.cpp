// Shapes, memories, the softmax, clipping and RMSprop loops shared by the
// oneDNN peer's training and sampling measurements; see onednn_peer.h.
#include <cctype>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "onednn_peer.h"

namespace onednn_peer {

Shape shape_named(const std::string& name) {
  std::string upper = name;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (upper == "A") return {"A", 68, 1, 250, 25, 32};
  if (upper == "B") return {"B", 75, 3, 700, 50, 32};
  throw std::invalid_argument("unknown config '" + name + "' (use A: 1x250, T 25, B 32; or B: 3x700, T 50, B 32)");
}

dnnl::memory make_memory(Context& ctx, const dims& shape, dt type, tag layout) {
  return dnnl::memory({shape, type, layout}, ctx.engine);
}

dnnl::memory view_memory(Context& ctx, const dims& shape, tag layout, float* data) {
  return dnnl::memory({shape, dt::f32, layout}, ctx.engine, data);
}

void fill_uniform(float* data, size_t n, float scale, Rng& rng) {
  for (size_t i = 0; i < n; ++i) data[i] = scale * static_cast<float>(2.0 * rng.uniform() - 1.0);
}

void set_element(const dnnl::memory& m, int V, int row, int v, float value) {
  const size_t i = static_cast<size_t>(row) * static_cast<size_t>(V) + static_cast<size_t>(v);
  if (m.get_desc().data_type() == dt::f32) {
    static_cast<float*>(m.get_data_handle())[i] = value;
    return;
  }
  // bf16 is the top half of an f32; 0 and 1 (all we write) convert exactly.
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  static_cast<uint16_t*>(m.get_data_handle())[i] = static_cast<uint16_t>(bits >> 16);
}

double softmax_cross_entropy(float* dlogits, float* dbias, const float* logits, const int32_t* targets, int rows,
                             int V) {
  const float scale = 1.0f / static_cast<float>(rows);
  double loss = 0.0;
  for (int r = 0; r < rows; ++r) {
    const float* z = logits + static_cast<size_t>(r) * V;
    float* dz = dlogits + static_cast<size_t>(r) * V;
    const float top = *std::max_element(z, z + V);
    float sum = 0.0f;
    for (int v = 0; v < V; ++v) {
      dz[v] = std::exp(z[v] - top);
      sum += dz[v];
    }
    const int y = targets[r];
    loss += std::log(sum) - (z[y] - top);
    for (int v = 0; v < V; ++v) dz[v] = dz[v] / sum * scale;
    dz[y] -= scale;
    for (int v = 0; v < V; ++v) dbias[v] += dz[v];
  }
  return loss / rows;
}

int softmax_draw(float* probs, const float* logits, int V, Rng& rng) {
  const float top = *std::max_element(logits, logits + V);
  double sum = 0.0;
  for (int v = 0; v < V; ++v) {
    probs[v] = std::exp(logits[v] - top);
    sum += probs[v];
  }
  const double u = rng.uniform() * sum;  // scaling u saves normalising probs
  double cumulative = 0.0;
  for (int v = 0; v < V; ++v) {
    cumulative += probs[v];
    if (u < cumulative) return v;
  }
  return V - 1;
}

double clip_global_norm(float* grads, size_t n, double max_norm) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(grads[i]) * grads[i];
  const double norm = std::sqrt(sum);
  if (std::isfinite(norm) && norm > max_norm) {
    const auto scale = static_cast<float>(max_norm / norm);
    for (size_t i = 0; i < n; ++i) grads[i] *= scale;
  }
  return norm;
}

void rmsprop_step(float* params, float* mean_square, const float* grads, size_t n) {
  const float lr = 1e-3f, rho = 0.9f, eps = 1e-7f;  // charnn's and compare_pytorch.py's settings
  for (size_t i = 0; i < n; ++i) {
    mean_square[i] = rho * mean_square[i] + (1.0f - rho) * grads[i] * grads[i];
    params[i] -= lr * grads[i] / (std::sqrt(mean_square[i]) + eps);
  }
}

void note_implementation(std::vector<std::string>& list, const dnnl::primitive_desc_base& pd) {
  const std::string name = pd.impl_info_str();
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

}  // namespace onednn_peer
