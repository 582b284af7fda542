// Turning a PyTorch model into a charnn checkpoint: the state dict of an
// nn.LSTM (one-hot input, unidirectional, no projection) followed by an
// nn.Linear, saved as .safetensors or as an .npz of NumPy arrays, plus the
// vocabulary in the order of the one-hot columns. The columns and output rows
// are permuted into charnn's code-point order, so the imported model computes
// exactly what the PyTorch one did. docs/interop.md describes both directions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "charnn/io/checkpoint.h"
#include "charnn/io/npz.h"

namespace charnn {

using StateDict = std::map<std::string, FloatArray>;

// A .safetensors file (float32 or float64 tensors) or an .npz archive, told
// apart by their first bytes. Throws Error naming the file.
StateDict read_state_dict(const std::string& path);
StateDict parse_state_dict(std::string bytes, const std::string& source);

// The vocabulary as a JSON list of one-character strings or code points (index
// i is the i-th entry), or an object mapping each character to its index.
// Throws Error for duplicates, gaps, or strings that are not one character.
std::vector<char32_t> parse_vocabulary_json(std::string_view json_text, const std::string& source);

// Where the modules' tensors are: "<lstm>.weight_ih_l0", "<linear>.weight".
// Empty means: find the one prefix that fits.
struct ImportNames {
  std::string lstm;
  std::string linear;
};

// Checks every shape and name and builds the checkpoint contents: the model
// with dropout 0, weights in charnn's layout, no optimizer state and no
// training history. Missing biases (bias=False) count as zeros. Tensors the
// model has no place for are an error, so nothing is dropped silently.
Checkpoint import_state_dict(const StateDict& state, const std::vector<char32_t>& vocabulary,
                             const ImportNames& names = {});

}  // namespace charnn
