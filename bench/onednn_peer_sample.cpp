// The oneDNN peer's sampling: per step, lstm_forward (inference) over T = 1
// for S streams, carrying h and c across steps through src_iter/dst_iter,
// a matmul to logits, then a softmax and a draw per stream whose token is the
// next step's one-hot input. Weights are reordered once into the layouts the
// primitives chose, which inference legitimately does once.
#include <stdexcept>
#include <unordered_map>

#include "onednn_peer.h"

namespace onednn_peer {

namespace {

using args_t = std::unordered_map<int, dnnl::memory>;

// One LSTM primitive's layers (layer 0, or layers 1..L-1; see
// onednn_peer_train.cpp for why a stack needs two) stepped one character on.
struct SampleBlock {
  dnnl::lstm_forward step;
  dnnl::memory src, dst;    // (1, S, E), (1, S, H) in the data type
  dnnl::memory h[2], c[2];  // (Lb, 1, S, H): h in the data type, c f32; ping-pong
  args_t args[2];           // [p] reads h[p], c[p] and writes h[1 - p], c[1 - p]
};

// Reorders freshly drawn f32 weights (plain `plain_layout`) into `md`.
dnnl::memory weights_in(Context& ctx, const dnnl::memory::desc& md, const dims& shape, tag plain_layout, Rng& rng,
                        float scale) {
  dnnl::memory master = make_memory(ctx, shape, dt::f32, plain_layout);
  fill_uniform(static_cast<float*>(master.get_data_handle()), master.get_desc().get_size() / sizeof(float), scale,
               rng);
  dnnl::memory typed(md, ctx.engine);
  Reorder(master, typed).run(ctx.stream);
  ctx.stream.wait();
  return typed;
}

SampleBlock make_sample_block(Context& ctx, const Shape& s, dt type, int S, int layers, int E,
                              const dnnl::memory& src, Rng& rng, std::vector<std::string>& impls) {
  SampleBlock b;
  const dims wx_dims{layers, 1, E, 4, s.H}, wh_dims{layers, 1, s.H, 4, s.H}, bias_dims{layers, 1, 4, s.H};
  const dims state_dims{layers, 1, S, s.H};
  const dnnl::memory::desc h_md(state_dims, type, tag::ldnc), c_md(state_dims, dt::f32, tag::ldnc);
  const dnnl::memory::desc dst_md({1, S, s.H}, type, tag::tnc);
  const dnnl::lstm_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::rnn_direction::unidirectional_left2right, src.get_desc(), h_md, c_md,
      dnnl::memory::desc(wx_dims, type, tag::any), dnnl::memory::desc(wh_dims, type, tag::any),
      dnnl::memory::desc(bias_dims, dt::f32, tag::ldgo), dst_md, h_md, c_md);
  const dnnl::lstm_forward::primitive_desc pd(desc, ctx.engine);
  note_implementation(impls, pd);
  b.step = dnnl::lstm_forward(pd);
  const dnnl::memory wx = weights_in(ctx, pd.weights_layer_desc(), wx_dims, tag::ldigo, rng, 0.08f);
  const dnnl::memory wh = weights_in(ctx, pd.weights_iter_desc(), wh_dims, tag::ldigo, rng, 0.08f);
  const dnnl::memory bias = weights_in(ctx, pd.bias_desc(), bias_dims, tag::ldgo, rng, 0.08f);
  b.src = src;
  b.dst = dnnl::memory(dst_md, ctx.engine);
  for (int p = 0; p < 2; ++p) {
    b.h[p] = dnnl::memory(h_md, ctx.engine);
    b.c[p] = dnnl::memory(c_md, ctx.engine);
    std::fill_n(static_cast<char*>(b.h[p].get_data_handle()), h_md.get_size(), 0);
    std::fill_n(static_cast<float*>(b.c[p].get_data_handle()), c_md.get_size() / sizeof(float), 0.0f);
  }
  for (int p = 0; p < 2; ++p) {
    b.args[p] = {{DNNL_ARG_SRC_LAYER, b.src},       {DNNL_ARG_SRC_ITER, b.h[p]},     {DNNL_ARG_SRC_ITER_C, b.c[p]},
                 {DNNL_ARG_WEIGHTS_LAYER, wx},      {DNNL_ARG_WEIGHTS_ITER, wh},     {DNNL_ARG_BIAS, bias},
                 {DNNL_ARG_DST_LAYER, b.dst},       {DNNL_ARG_DST_ITER, b.h[1 - p]}, {DNNL_ARG_DST_ITER_C, b.c[1 - p]}};
  }
  return b;
}

}  // namespace

Measurement measure_sampling(Context& ctx, const Options& options, int S) {
  const Shape& s = options.shape;
  const dt type = options.data_type;
  Rng rng(options.seed);
  Measurement m;
  const dnnl::memory one_hot = make_memory(ctx, {1, S, s.V}, type, tag::tnc);  // (1, S, V)
  std::fill_n(static_cast<char*>(one_hot.get_data_handle()), one_hot.get_desc().get_size(), 0);
  std::vector<int32_t> tokens(static_cast<size_t>(S), 0);  // (S): each stream's last draw
  for (int r = 0; r < S; ++r) set_element(one_hot, s.V, r, 0, 1.0f);

  std::vector<SampleBlock> blocks;
  blocks.push_back(make_sample_block(ctx, s, type, S, 1, s.V, one_hot, rng, m.implementations));
  if (s.L > 1) {
    const dnnl::memory below = blocks.back().dst;
    blocks.push_back(make_sample_block(ctx, s, type, S, s.L - 1, s.H, below, rng, m.implementations));
  }

  // logits = h W + b, W reordered once into the layout the matmul prefers.
  const dnnl::memory h({{S, s.H}, type, tag::ab}, ctx.engine, blocks.back().dst.get_data_handle());
  const dnnl::memory logits = make_memory(ctx, {S, s.V}, dt::f32, tag::ab);  // (S, V)
  const dnnl::memory::desc bias_md({1, s.V}, dt::f32, tag::ab);
  const dnnl::matmul::primitive_desc out_pd(
      dnnl::matmul::desc(h.get_desc(), dnnl::memory::desc({s.H, s.V}, type, tag::any), bias_md, logits.get_desc()),
      ctx.engine);
  const dnnl::matmul output(out_pd);
  const args_t out_args{{DNNL_ARG_SRC, h},
                        {DNNL_ARG_WEIGHTS, weights_in(ctx, out_pd.weights_desc(), {s.H, s.V}, tag::ab, rng, 0.08f)},
                        {DNNL_ARG_BIAS, weights_in(ctx, bias_md, {1, s.V}, tag::ab, rng, 0.08f)},
                        {DNNL_ARG_DST, logits}};

  std::vector<float> probs(static_cast<size_t>(s.V));  // (V) scratch of the draw
  const auto* z = static_cast<const float*>(logits.get_data_handle());
  int parity = 0;
  // As in `charnn bench`: about 1000 steps a chunk for one stream of config A,
  // fewer as a step's work grows, so a chunk lasts milliseconds.
  const int steps = std::max(1, 2000 / (S * s.H * s.L / 250 + 1));
  m.rate = time_chunks(options.seconds, static_cast<double>(steps) * S, [&] {
    for (int i = 0; i < steps; ++i) {
      for (SampleBlock& b : blocks) b.step.execute(ctx.stream, b.args[parity]);
      output.execute(ctx.stream, out_args);
      ctx.stream.wait();
      for (int r = 0; r < S; ++r) {
        int32_t& token = tokens[static_cast<size_t>(r)];
        set_element(one_hot, s.V, r, token, 0.0f);
        token = softmax_draw(probs.data(), z + static_cast<size_t>(r) * s.V, s.V, rng);
        set_element(one_hot, s.V, r, token, 1.0f);
      }
      parity = 1 - parity;
    }
  });
  return m;
}

}  // namespace onednn_peer
