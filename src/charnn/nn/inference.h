// Running the model forward one character at a time for S independent streams
// (S = 1 for a single sample), carrying each stream's (h, c) across steps.
// Dropout is off. Buffers are allocated once; step() allocates nothing. Many
// streams of a small model step as blocks of streams on the pool; otherwise
// all streams step together and each product is split by columns.
// The weights are copied at construction into the layouts the step reads
// fastest (layer 0's W_ih transposed, every other matrix packed in panels; see
// packed_gemm.h): a state keeps stepping with the weights the model had then;
// build a new one after changing the model.
//
// Every product sums each output in the same order whatever S and the thread
// count, so a stream's logits are bit-identical whether it runs alone or
// batched with others, on one thread or several. That holds for both
// precisions: bf16 rounds the weights and the multiplied states to bfloat16
// and multiplies them with bf16_gemm (the fastest bf16 kernel the CPU has),
// half the bytes per step; its logits differ slightly from f32's.
#pragma once

#include <cstdint>
#include <vector>

#include "charnn/nn/aligned_vector.h"
#include "charnn/nn/bf16_gemm.h"
#include "charnn/nn/model.h"
#include "charnn/nn/precision.h"

namespace charnn {

class InferenceState {
 public:
  InferenceState(const Model& model, int streams, Precision precision = Precision::f32);

  int streams() const { return streams_; }
  // Zeroes the recurrent state of every stream (the state each training window starts from).
  void reset();
  // Zeroes one stream's state, leaving the others alone.
  void reset_stream(int s);
  // Feeds one token per stream; returns logits (S, V), valid until the next call.
  const float* step(const int32_t* tokens);

 private:
  // Streams [begin, end), stepped as block `block` of the step's blocks.
  struct Rows {
    int begin, end, block;
  };
  void step_rows(Rows rows, const int32_t* tokens);
  // Rows `rows` of C (S, N) += A (S, K) W, where W is packed as f32 or as
  // bf16 (the one of this state's precision; the other is empty).
  void multiply(Rows rows, float* C, int N, const float* A, int K, const AlignedVector<float>& f32,
                const AlignedVector<BFloat16>& bf16);

  const Model& model_;
  int streams_;
  std::vector<std::vector<float>> h_, c_;  // per layer (S, H)
  std::vector<float> gates_;               // (S, G)
  std::vector<float> logits_;              // (S, V)
  AlignedVector<float> w_ih_t_;                    // (V, G) layer 0's W_ih transposed: a token's input term is one row
  std::vector<AlignedVector<float>> w_ih_packed_;  // per layer (E, G) packed; empty for layer 0
  std::vector<AlignedVector<float>> w_hh_packed_;  // per layer (H, G) packed
  AlignedVector<float> fc_packed_;                 // (H, V) packed
  Precision precision_;
  // With bf16, in place of the f32 packings above (bf16_gemm.h layouts):
  std::vector<AlignedVector<BFloat16>> w_ih_bf16_, w_hh_bf16_;  // per layer, as w_ih_packed_, w_hh_packed_
  AlignedVector<BFloat16> fc_bf16_;
  AlignedVector<BFloat16> rows_bf16_;  // (S + spare per block, bf16_row_stride(H)) the state being multiplied
  bool split_streams_ = false;  // step blocks of streams, one a thread (else split each product's columns)
};

}  // namespace charnn
