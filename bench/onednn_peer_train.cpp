// The oneDNN peer's training step: lstm_forward (training) and lstm_backward
// do the LSTM stack, matmul primitives the output layer and its gradients,
// plain loops the softmax cross-entropy, clipping and RMSprop. Weights live as
// f32 masters in one flat buffer (gradients and RMSprop state beside it); each
// step reorders them into the layouts (and, for bf16, the type) the LSTM
// primitives chose, as real training with oneDNN must after every update.
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "onednn_peer.h"

namespace onednn_peer {

namespace {

using args_t = std::unordered_map<int, dnnl::memory>;

// Offsets of one block's tensors in the flat parameter buffer; the gradient
// and RMSprop buffers use the same offsets.
struct BlockOffsets {
  size_t wx, wh, bias, end;
};

// A run of layers one LSTM primitive can hold: layer 0 (input width V) or
// layers 1..L-1 (input width H). oneDNN stacks layers in one primitive only
// when every layer's input is as wide as its output, so config B needs two.
struct TrainBlock {
  dnnl::lstm_forward forward;
  dnnl::lstm_backward backward;
  Reorder fwd_wx, fwd_wh, bwd_wx, bwd_wh;  // f32 ldigo masters -> the layouts each primitive chose
  dnnl::memory bias;                       // (Lb, 1, 4, H) f32 view of the master
  dnnl::memory dwx, dwh, dbias;            // f32 views into the gradient buffer
  dnnl::memory src, dst, workspace;        // (T, B, E), (T, B, H) in the data type
  dnnl::memory dsrc, ddst;                 // (T, B, E), (T, B, H): oneDNN keeps diffs f32 even for bf16
  args_t fwd_args, bwd_args;
};

BlockOffsets block_offsets(size_t at, int layers, int E, int H) {
  const size_t Lb = static_cast<size_t>(layers), G = 4 * static_cast<size_t>(H);
  BlockOffsets o{};
  o.wx = at;
  o.wh = o.wx + Lb * static_cast<size_t>(E) * G;
  o.bias = o.wh + Lb * static_cast<size_t>(H) * G;
  o.end = o.bias + Lb * G;
  return o;
}

// Builds the primitives and memories of one block over `src`; ddst is wired
// afterwards, by the block above or the output layer.
TrainBlock make_train_block(Context& ctx, const Shape& s, dt type, int layers, int E, const BlockOffsets& at,
                            float* params, float* grads, const dnnl::memory& src, std::vector<std::string>& impls) {
  TrainBlock b;
  const dims wx_dims{layers, 1, E, 4, s.H}, wh_dims{layers, 1, s.H, 4, s.H}, bias_dims{layers, 1, 4, s.H};
  const dims src_dims{s.T, s.B, E}, dst_dims{s.T, s.B, s.H};
  const dnnl::memory::desc none;  // zero initial state; final state unused
  const dnnl::memory::desc wx_any(wx_dims, type, tag::any), wh_any(wh_dims, type, tag::any);
  const dnnl::memory::desc bias_md(bias_dims, dt::f32, tag::ldgo);
  const dnnl::memory::desc src_md(src_dims, type, tag::tnc), dst_md(dst_dims, type, tag::tnc);
  const auto dir = dnnl::rnn_direction::unidirectional_left2right;

  const dnnl::lstm_forward::desc fwd_desc(dnnl::prop_kind::forward_training, dir, src_md, none, none, wx_any, wh_any,
                                          bias_md, dst_md, none, none);
  const dnnl::lstm_forward::primitive_desc fwd_pd(fwd_desc, ctx.engine);
  const dnnl::lstm_backward::desc bwd_desc(
      dnnl::prop_kind::backward, dir, src_md, none, none, wx_any, wh_any, bias_md, dst_md, none, none,
      dnnl::memory::desc(src_dims, dt::f32, tag::tnc), none, none, dnnl::memory::desc(wx_dims, dt::f32, tag::ldigo),
      dnnl::memory::desc(wh_dims, dt::f32, tag::ldigo), dnnl::memory::desc(bias_dims, dt::f32, tag::ldgo),
      dnnl::memory::desc(dst_dims, dt::f32, tag::tnc), none, none);
  const dnnl::lstm_backward::primitive_desc bwd_pd(bwd_desc, ctx.engine, fwd_pd);
  note_implementation(impls, fwd_pd);
  note_implementation(impls, bwd_pd);
  b.forward = dnnl::lstm_forward(fwd_pd);
  b.backward = dnnl::lstm_backward(bwd_pd);

  const dnnl::memory wx_master = view_memory(ctx, wx_dims, tag::ldigo, params + at.wx);
  const dnnl::memory wh_master = view_memory(ctx, wh_dims, tag::ldigo, params + at.wh);
  b.fwd_wx = Reorder(wx_master, dnnl::memory(fwd_pd.weights_layer_desc(), ctx.engine));
  b.fwd_wh = Reorder(wh_master, dnnl::memory(fwd_pd.weights_iter_desc(), ctx.engine));
  b.bwd_wx = Reorder(wx_master, dnnl::memory(bwd_pd.weights_layer_desc(), ctx.engine));
  b.bwd_wh = Reorder(wh_master, dnnl::memory(bwd_pd.weights_iter_desc(), ctx.engine));
  b.bias = view_memory(ctx, bias_dims, tag::ldgo, params + at.bias);
  b.dwx = view_memory(ctx, wx_dims, tag::ldigo, grads + at.wx);
  b.dwh = view_memory(ctx, wh_dims, tag::ldigo, grads + at.wh);
  b.dbias = view_memory(ctx, bias_dims, tag::ldgo, grads + at.bias);
  b.src = src;
  b.dst = dnnl::memory(dst_md, ctx.engine);
  b.workspace = dnnl::memory(fwd_pd.workspace_desc(), ctx.engine);
  b.dsrc = make_memory(ctx, src_dims, dt::f32, tag::tnc);
  return b;
}

void bind_arguments(TrainBlock& b) {
  b.fwd_args = {{DNNL_ARG_SRC_LAYER, b.src},          {DNNL_ARG_WEIGHTS_LAYER, b.fwd_wx.dst},
                {DNNL_ARG_WEIGHTS_ITER, b.fwd_wh.dst}, {DNNL_ARG_BIAS, b.bias},
                {DNNL_ARG_DST_LAYER, b.dst},          {DNNL_ARG_WORKSPACE, b.workspace}};
  b.bwd_args = {{DNNL_ARG_SRC_LAYER, b.src},           {DNNL_ARG_WEIGHTS_LAYER, b.bwd_wx.dst},
                {DNNL_ARG_WEIGHTS_ITER, b.bwd_wh.dst},  {DNNL_ARG_BIAS, b.bias},
                {DNNL_ARG_DST_LAYER, b.dst},           {DNNL_ARG_WORKSPACE, b.workspace},
                {DNNL_ARG_DIFF_SRC_LAYER, b.dsrc},     {DNNL_ARG_DIFF_WEIGHTS_LAYER, b.dwx},
                {DNNL_ARG_DIFF_WEIGHTS_ITER, b.dwh},   {DNNL_ARG_DIFF_BIAS, b.dbias},
                {DNNL_ARG_DIFF_DST_LAYER, b.ddst}};
}

// logits = h W + b and its gradients, over the top block's output viewed as
// (T*B, H). W is kept plain (H, V) so one bf16 copy serves the forward product
// and, read transposed, the backward one; the layer is a few percent of the
// step, so its layout hardly matters.
struct OutputLayer {
  int rows = 0;                // T*B
  Reorder to_w;                // bf16 only: master -> w
  dnnl::memory w;              // (H, V) in the data type
  Reorder to_dlogits;          // bf16 only: dlogits -> dlogits_typed
  dnnl::memory logits, dlogits, dlogits_typed;  // (T*B, V); the first two f32
  dnnl::matmul forward, backward_data, backward_weights;
  args_t fwd_args, data_args, weights_args;
};

dnnl::matmul make_matmul(Context& ctx, const dnnl::memory::desc& src, const dnnl::memory::desc& weights,
                         const dnnl::memory::desc& bias, const dnnl::memory::desc& dst) {
  return dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias, dst), ctx.engine));
}

OutputLayer make_output_layer(Context& ctx, const Shape& s, dt type, float* w_master, float* b_master,
                              float* dw, const TrainBlock& top) {
  OutputLayer o;
  const int TB = s.T * s.B;
  o.rows = TB;
  const dnnl::memory master = view_memory(ctx, {s.H, s.V}, tag::ab, w_master);
  if (type == dt::f32) {
    o.w = master;
  } else {
    o.w = make_memory(ctx, {s.H, s.V}, type, tag::ab);
    o.to_w = Reorder(master, o.w);
  }
  o.logits = make_memory(ctx, {TB, s.V}, dt::f32, tag::ab);
  o.dlogits = make_memory(ctx, {TB, s.V}, dt::f32, tag::ab);
  if (type == dt::f32) {
    o.dlogits_typed = o.dlogits;
  } else {
    o.dlogits_typed = make_memory(ctx, {TB, s.V}, type, tag::ab);
    o.to_dlogits = Reorder(o.dlogits, o.dlogits_typed);
  }
  const dnnl::memory h({{TB, s.H}, type, tag::ab}, ctx.engine, top.dst.get_data_handle());
  const dnnl::memory h_t({{s.H, TB}, type, tag::ba}, ctx.engine, top.dst.get_data_handle());
  const dnnl::memory w_t({{s.V, s.H}, type, tag::ba}, ctx.engine, o.w.get_data_handle());
  const dnnl::memory bias = view_memory(ctx, {1, s.V}, tag::ab, b_master);
  const dnnl::memory dh({{TB, s.H}, dt::f32, tag::ab}, ctx.engine, top.ddst.get_data_handle());
  const dnnl::memory dw_view = view_memory(ctx, {s.H, s.V}, tag::ab, dw);
  const dnnl::memory::desc no_bias;
  o.forward = make_matmul(ctx, h.get_desc(), o.w.get_desc(), bias.get_desc(), o.logits.get_desc());
  o.backward_data = make_matmul(ctx, o.dlogits_typed.get_desc(), w_t.get_desc(), no_bias, dh.get_desc());
  o.backward_weights = make_matmul(ctx, h_t.get_desc(), o.dlogits_typed.get_desc(), no_bias, dw_view.get_desc());
  o.fwd_args = {{DNNL_ARG_SRC, h}, {DNNL_ARG_WEIGHTS, o.w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, o.logits}};
  o.data_args = {{DNNL_ARG_SRC, o.dlogits_typed}, {DNNL_ARG_WEIGHTS, w_t}, {DNNL_ARG_DST, dh}};
  o.weights_args = {{DNNL_ARG_SRC, h_t}, {DNNL_ARG_WEIGHTS, o.dlogits_typed}, {DNNL_ARG_DST, dw_view}};
  return o;
}

}  // namespace

Measurement measure_training(Context& ctx, const Options& options) {
  const Shape& s = options.shape;
  const dt type = options.data_type;
  const int TB = s.T * s.B;
  std::vector<BlockOffsets> offsets{block_offsets(0, 1, s.V, s.H)};
  if (s.L > 1) offsets.push_back(block_offsets(offsets[0].end, s.L - 1, s.H, s.H));
  const size_t w_out = offsets.back().end, b_out = w_out + static_cast<size_t>(s.H) * s.V;
  const size_t P = b_out + static_cast<size_t>(s.V);

  std::vector<float> params(P), grads(P, 0.0f), mean_square(P, 0.0f);  // (P) each, same offsets
  Rng rng(options.seed);
  fill_uniform(params.data(), P, 0.08f, rng);
  std::vector<int32_t> inputs(static_cast<size_t>(TB)), targets(static_cast<size_t>(TB));  // (T, B)
  for (auto& t : inputs) t = rng.below(s.V);
  for (auto& t : targets) t = rng.below(s.V);

  Measurement m;
  const dnnl::memory one_hot = make_memory(ctx, {s.T, s.B, s.V}, type, tag::tnc);  // (T, B, V)
  std::vector<TrainBlock> blocks;
  for (size_t i = 0; i < offsets.size(); ++i) {
    const int layers = i == 0 ? 1 : s.L - 1, E = i == 0 ? s.V : s.H;
    const dnnl::memory src = i == 0 ? one_hot : blocks.back().dst;
    blocks.push_back(make_train_block(ctx, s, type, layers, E, offsets[i], params.data(), grads.data(), src,
                                      m.implementations));
  }
  blocks.back().ddst = make_memory(ctx, {s.T, s.B, s.H}, dt::f32, tag::tnc);
  for (size_t i = 0; i + 1 < blocks.size(); ++i) blocks[i].ddst = blocks[i + 1].dsrc;
  for (TrainBlock& b : blocks) bind_arguments(b);
  OutputLayer out =
      make_output_layer(ctx, s, type, params.data() + w_out, params.data() + b_out, grads.data() + w_out, blocks.back());

  double loss = 0.0;
  int taken = 0;
  auto step = [&] {
    // The one-hot input is rebuilt every step, as PyTorch's one_hot is.
    std::memset(one_hot.get_data_handle(), 0, one_hot.get_desc().get_size());
    for (int r = 0; r < TB; ++r) set_element(one_hot, s.V, r, inputs[static_cast<size_t>(r)], 1.0f);
    std::fill(grads.begin(), grads.end(), 0.0f);
    for (TrainBlock& b : blocks) {
      b.fwd_wx.run(ctx.stream);
      b.fwd_wh.run(ctx.stream);
      b.forward.execute(ctx.stream, b.fwd_args);
    }
    if (type != dt::f32) out.to_w.run(ctx.stream);
    out.forward.execute(ctx.stream, out.fwd_args);
    ctx.stream.wait();
    loss = softmax_cross_entropy(static_cast<float*>(out.dlogits.get_data_handle()), grads.data() + b_out,
                                 static_cast<const float*>(out.logits.get_data_handle()), targets.data(), TB, s.V);
    if (type != dt::f32) out.to_dlogits.run(ctx.stream);
    out.backward_data.execute(ctx.stream, out.data_args);
    out.backward_weights.execute(ctx.stream, out.weights_args);
    for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) {
      b->bwd_wx.run(ctx.stream);
      b->bwd_wh.run(ctx.stream);
      b->backward.execute(ctx.stream, b->bwd_args);
    }
    ctx.stream.wait();
    clip_global_norm(grads.data(), P, 5.0);
    rmsprop_step(params.data(), mean_square.data(), grads.data(), P);
    if (taken++ == 0) m.first_loss = loss;
  };
  // As in `charnn bench`: a step of a large model takes long enough to time alone.
  const int steps = s.H * s.L >= 1000 ? 1 : 8;
  m.rate = time_chunks(options.seconds, static_cast<double>(steps) * TB, [&] {
    for (int i = 0; i < steps; ++i) step();
  });
  m.last_loss = loss;
  if (!(loss > 0.0)) throw std::runtime_error("training produced a non-positive or NaN loss");
  return m;
}

}  // namespace onednn_peer
