// The elementwise half of an LSTM step, fused into one vectorised pass each:
// bias add, gate nonlinearities and the cell update (forward), their
// derivatives (backward), and the in-place update one-step inference uses.
// Matrix products are not here (lstm.cpp, inference.cpp). Each function has
// clones for AVX-512, AVX2 and baseline x86-64, chosen when the program loads.
//
// Legend: B rows (batch or streams), H hidden units, G = 4H gates in the order
// i, f, g, o. Pointers do not alias one another. The _units forms touch only
// units [j0, j1) (their four gate slices and state columns), so the threads of
// a recurrent loop can each own a block of units; the plain forms do all H.
#pragma once

namespace charnn {

// gates (B, G): in, pre-activations without bias; out, i f g o after their
// nonlinearities. c_next, h_next, c_tanh (B, H) receive c_t, h_t, tanh(c_t);
// c_prev (B, H) is c_{t-1}. b_ih, b_hh (G) are both added.
void lstm_cell_forward_units(float* gates, float* c_next, float* h_next, float* c_tanh, const float* c_prev,
                             const float* b_ih, const float* b_hh, int B, int H, int j0, int j1);
inline void lstm_cell_forward(float* gates, float* c_next, float* h_next, float* c_tanh, const float* c_prev,
                              const float* b_ih, const float* b_hh, int B, int H) {
  lstm_cell_forward_units(gates, c_next, h_next, c_tanh, c_prev, b_ih, b_hh, B, H, 0, H);
}

// dgates (B, G) receives pre-activation gradients from dh (B, H) and the carried
// dc (B, H); dc becomes the gradient for c_{t-1}. gates, c_prev, c_tanh as the
// forward pass left them.
void lstm_cell_backward_units(float* dgates, float* dc, const float* dh, const float* gates, const float* c_prev,
                              const float* c_tanh, int B, int H, int j0, int j1);
inline void lstm_cell_backward(float* dgates, float* dc, const float* dh, const float* gates, const float* c_prev,
                               const float* c_tanh, int B, int H) {
  lstm_cell_backward_units(dgates, dc, dh, gates, c_prev, c_tanh, B, H, 0, H);
}

// Inference: gates (B, G) pre-activations without bias (used as scratch);
// c and h (B, H) are updated in place from c_{t-1} to c_t and h_t.
void lstm_cell_step(float* c, float* h, float* gates, const float* b_ih, const float* b_hh, int B, int H);

}  // namespace charnn
