// Initialisation as Keras does it for an LSTM: Glorot-uniform input weights,
// orthogonal recurrent weights, forget-gate bias 1 and other biases 0; the
// output layer is Glorot-uniform with zero bias.
#pragma once

#include <cstdint>

#include "charnn/nn/model_config.h"
#include "charnn/nn/parameters.h"

namespace charnn {

// Fills the flat parameter buffer; deterministic in the seed.
void initialize_parameters(float* params, const ModelConfig& config, const ParameterLayout& layout, uint64_t seed);

}  // namespace charnn
