// One-step inference for S streams; see inference.h.
#include "charnn/nn/inference.h"

#include <algorithm>
#include <cstring>

#include "charnn/nn/lstm_cell.h"
#include "charnn/nn/packed_gemm.h"
#include "charnn/nn/thread_pool.h"

namespace charnn {

namespace {

constexpr int kPanelColumns = 32;  // packed_gemm's panel width: splits fall on its multiples
// Below this many multiply-adds a product runs on the calling thread: handing
// it to the pool costs more than it saves. Config A's one-stream W_hh product
// (250,000) gains: on 2 threads each core reads half of its 1 MB of weights,
// from its own L2 (about 92k to 109k chars/s on a 2-core Xeon; 400,000
// before). Measured on 2 cores only.
constexpr double kParallelWork = 200000.0;
// And at least this many a block, so a machine with many work blocks does not
// cut a small product into slivers (16 blocks of 16,000 for that one).
constexpr double kBlockWork = 100000.0;

// Many streams of a model whose weights fit in a core's cache step best as
// blocks of whole streams, one parallel region a step: each core reads every
// weight from its own cache and nothing waits between products (config A,
// 64 streams, where 5 hand-offs a step were 15% of the time: 294k to 320k
// chars/s on a 2-core Xeon, medians of 3). Larger models step
// every stream together and split each product's columns instead, so the
// weights are read from memory once a step, not once per core.
constexpr size_t kStreamSplitBytes = size_t{2} << 20;

// Blocks of a product of `work` multiply-adds: fixed by the shape and the
// machine's work cut, never by the thread count.
int product_blocks(double work) { return std::clamp(static_cast<int>(work / kBlockWork), 1, work_blocks()); }

AlignedVector<float> packed_transposed(const float* W, int rows, int columns) {
  // W (rows, columns) used as h W^T: P (columns, rows).
  AlignedVector<float> packed(packed_floats(columns, rows));
  pack_transposed(packed.data(), W, columns, columns, rows);
  return packed;
}

// C (M, N) += A (M, K) P (K, N), the columns cut into fixed panel-aligned
// blocks run on the pool when the product is large enough to gain from it.
void product(float* C, int ldc, const float* A, int lda, const AlignedVector<float>& packed, int M, int N, int K) {
  if (static_cast<double>(M) * N * K < kParallelWork) {
    packed_gemm(C, ldc, A, lda, packed.data(), M, N, K);
    return;
  }
  const int tasks = product_blocks(static_cast<double>(M) * N * K);
  const int panels = (N + kPanelColumns - 1) / kPanelColumns;
  const int per = (panels + tasks - 1) / tasks * kPanelColumns;
  parallel_for(tasks, [&](int t) {
    const int n0 = std::min(N, t * per), n1 = std::min(N, n0 + per);
    if (n0 < n1) packed_gemm(C + n0, ldc, A, lda, packed.data() + static_cast<size_t>(n0) * K, M, n1 - n0, K);
  });
}

AlignedVector<BFloat16> packed_bf16_transposed(const float* W, int rows, int columns) {
  AlignedVector<BFloat16> packed(bf16_packed_size(columns, rows));
  pack_bf16(packed.data(), W, 1, static_cast<size_t>(columns), columns, rows);
  return packed;
}

// The bf16 twin of product(): C = A P + C with A already rounded, the same
// fixed column blocks (whole 32-column tile pairs).
void product_bf16(float* C, int ldc, const BFloat16* A, const AlignedVector<BFloat16>& packed, int M, int N, int K) {
  if (static_cast<double>(M) * N * K < kParallelWork) {
    bf16_gemm(C, static_cast<size_t>(ldc), A, packed.data(), M, N, K, true);
    return;
  }
  const int tasks = product_blocks(static_cast<double>(M) * N * K);
  const int blocks = (N + kPanelColumns - 1) / kPanelColumns;
  const int per = (blocks + tasks - 1) / tasks * kPanelColumns;
  const size_t panel = static_cast<size_t>(bf16_row_stride(K)) * kBf16Panel;
  parallel_for(tasks, [&](int t) {
    const int n0 = std::min(N, t * per), n1 = std::min(N, n0 + per);
    if (n0 < n1) {
      bf16_gemm(C + n0, static_cast<size_t>(ldc), A, packed.data() + static_cast<size_t>(n0 / kBf16Panel) * panel, M,
                n1 - n0, K, true);
    }
  });
}

// Calls body(r0, r1) on fixed blocks of the S streams, on the pool when
// there are enough of them; each stream's row is computed alone.
template <class Body>
void for_stream_blocks(int S, int H, Body&& body) {
  const int tasks = work_blocks();
  if (S < 2 * tasks || static_cast<double>(S) * H < 4096.0) {
    body(0, S);
    return;
  }
  const int per = (S + tasks - 1) / tasks;
  parallel_for(tasks, [&](int t) {
    const int r0 = std::min(S, t * per), r1 = std::min(S, r0 + per);
    if (r0 < r1) body(r0, r1);
  });
}

}  // namespace

InferenceState::InferenceState(const Model& model, int streams, Precision precision)
    : model_(model), streams_(streams), precision_(precision) {
  const ModelConfig& config = model.config;
  const int G = config.gates(), H = config.hidden, V = config.vocab_size;
  const size_t state = static_cast<size_t>(streams) * H;
  h_.assign(static_cast<size_t>(config.layers), std::vector<float>(state, 0.0f));
  c_.assign(static_cast<size_t>(config.layers), std::vector<float>(state, 0.0f));
  gates_.assign(static_cast<size_t>(streams) * G, 0.0f);
  logits_.assign(static_cast<size_t>(streams) * V, 0.0f);
  const float* p = model.params.data();
  // Layer 0's input term is column `token` of W_ih (G, V); transposed once, it
  // is a contiguous row instead of G loads a row apart.
  const float* w_ih = p + model.layout.layer(0).w_ih;
  w_ih_t_.resize(static_cast<size_t>(V) * G);
  for (int g = 0; g < G; ++g) {
    for (int v = 0; v < V; ++v) w_ih_t_[static_cast<size_t>(v) * G + g] = w_ih[static_cast<size_t>(g) * V + v];
  }
  // Each matrix is packed once, in the one form this state's precision reads.
  const bool bf16 = precision == Precision::bf16;
  for (auto* packs : {&w_ih_packed_, &w_hh_packed_}) packs->resize(static_cast<size_t>(config.layers));
  for (auto* packs : {&w_ih_bf16_, &w_hh_bf16_}) packs->resize(static_cast<size_t>(config.layers));
  for (int k = 0; k < config.layers; ++k) {
    const LstmLayerOffsets& at = model.layout.layer(k);
    const size_t layer = static_cast<size_t>(k);
    if (bf16) {
      if (k > 0) w_ih_bf16_[layer] = packed_bf16_transposed(p + at.w_ih, G, config.input_size(k));
      w_hh_bf16_[layer] = packed_bf16_transposed(p + at.w_hh, G, H);
    } else {
      if (k > 0) w_ih_packed_[layer] = packed_transposed(p + at.w_ih, G, config.input_size(k));
      w_hh_packed_[layer] = packed_transposed(p + at.w_hh, G, H);
    }
  }
  if (bf16) {
    fc_bf16_ = packed_bf16_transposed(p + model.layout.fc_weight(), V, H);
  } else {
    fc_packed_ = packed_transposed(p + model.layout.fc_weight(), V, H);
  }
  size_t weight_bytes = fc_packed_.size() * sizeof(float) + fc_bf16_.size() * sizeof(BFloat16);
  for (int k = 0; k < config.layers; ++k) {
    const size_t layer = static_cast<size_t>(k);
    weight_bytes += (w_ih_packed_[layer].size() + w_hh_packed_[layer].size()) * sizeof(float) +
                    (w_ih_bf16_[layer].size() + w_hh_bf16_[layer].size()) * sizeof(BFloat16);
  }
  split_streams_ = streams >= 2 * work_blocks() && weight_bytes <= kStreamSplitBytes;
  if (bf16) {
    // Each block converts its rows into its own stretch, kBf16SpareRows
    // readable rows after its last (bf16_gemm.h) that no other block writes.
    const size_t rows = static_cast<size_t>(streams) + static_cast<size_t>(work_blocks()) * kBf16SpareRows;
    rows_bf16_.assign(rows * static_cast<size_t>(bf16_row_stride(H)), 0);
  }
}

void InferenceState::multiply(Rows rows, float* C, int N, const float* A, int K, const AlignedVector<float>& f32,
                              const AlignedVector<BFloat16>& bf16) {
  const int M = rows.end - rows.begin;
  C += static_cast<size_t>(rows.begin) * N;
  A += static_cast<size_t>(rows.begin) * K;
  if (precision_ == Precision::f32) {
    product(C, N, A, K, f32, M, N, K);
    return;
  }
  const size_t stride = static_cast<size_t>(bf16_row_stride(K));
  BFloat16* converted =
      rows_bf16_.data() + (static_cast<size_t>(rows.begin) + static_cast<size_t>(rows.block) * kBf16SpareRows) * stride;
  for_stream_blocks(M, K, [&](int r0, int r1) {
    convert_rows_bf16(converted + static_cast<size_t>(r0) * stride, stride, A + static_cast<size_t>(r0) * K,
                      static_cast<size_t>(K), r1 - r0, K);
  });
  product_bf16(C, N, converted, bf16, M, N, K);
}

void InferenceState::reset() {
  for (auto& h : h_) std::fill(h.begin(), h.end(), 0.0f);
  for (auto& c : c_) std::fill(c.begin(), c.end(), 0.0f);
}

void InferenceState::reset_stream(int s) {
  const size_t H = static_cast<size_t>(model_.config.hidden);
  for (auto& h : h_) std::fill_n(h.begin() + static_cast<std::ptrdiff_t>(s * H), H, 0.0f);
  for (auto& c : c_) std::fill_n(c.begin() + static_cast<std::ptrdiff_t>(s * H), H, 0.0f);
}

const float* InferenceState::step(const int32_t* tokens) {
  // One block a thread, so each reads the weights once a step. Streams are
  // computed alone, so unlike a product's columns this cut may follow the
  // thread count without changing a bit.
  const int blocks = split_streams_ ? parallel_threads() : 1;
  if (blocks == 1) {
    step_rows({0, streams_, 0}, tokens);
  } else {
    const int per = (streams_ + blocks - 1) / blocks;
    parallel_for(blocks, [&](int b) {
      const int r0 = std::min(streams_, b * per), r1 = std::min(streams_, r0 + per);
      if (r0 < r1) step_rows({r0, r1, b}, tokens);
    });
  }
  return logits_.data();
}

void InferenceState::step_rows(Rows rows, const int32_t* tokens) {
  const ModelConfig& config = model_.config;
  const int H = config.hidden, G = config.gates(), V = config.vocab_size, S = rows.end - rows.begin;
  const float* p = model_.params.data();
  const size_t first = static_cast<size_t>(rows.begin);
  float* gates = gates_.data() + first * G;
  for (int k = 0; k < config.layers; ++k) {
    const LstmLayerOffsets& at = model_.layout.layer(k);
    const size_t layer = static_cast<size_t>(k);
    float* h = h_[layer].data() + first * H;
    float* c = c_[layer].data() + first * H;
    // Input term first (layer 0: a row of W_ih^T; above: the layer below's new
    // h), then the recurrent term from this layer's h_{t-1}.
    if (k == 0) {
      for_stream_blocks(S, H, [&](int r0, int r1) {
        for (int s = r0; s < r1; ++s) {
          std::memcpy(gates + static_cast<size_t>(s) * G,
                      w_ih_t_.data() + static_cast<size_t>(tokens[rows.begin + s]) * G,
                      sizeof(float) * static_cast<size_t>(G));
        }
      });
    } else {
      std::fill_n(gates, static_cast<size_t>(S) * G, 0.0f);
      multiply(rows, gates_.data(), G, h_[layer - 1].data(), config.input_size(k), w_ih_packed_[layer],
               w_ih_bf16_[layer]);
    }
    multiply(rows, gates_.data(), G, h_[layer].data(), H, w_hh_packed_[layer], w_hh_bf16_[layer]);
    for_stream_blocks(S, H, [&](int r0, int r1) {
      const size_t state = static_cast<size_t>(r0) * H;
      lstm_cell_step(c + state, h + state, gates + static_cast<size_t>(r0) * G, p + at.b_ih, p + at.b_hh, r1 - r0, H);
    });
  }
  const float* bias = p + model_.layout.fc_bias();
  for (int s = rows.begin; s < rows.end; ++s) std::copy_n(bias, V, logits_.data() + static_cast<size_t>(s) * V);
  multiply(rows, logits_.data(), V, h_.back().data(), H, fc_packed_, fc_bf16_);
}

}  // namespace charnn
