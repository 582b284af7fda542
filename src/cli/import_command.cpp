// `charnn import`: make a charnn checkpoint from a PyTorch nn.LSTM + nn.Linear
// state dict (.safetensors or .npz) and its vocabulary (JSON).
#include <memory>

#include <fmt/format.h>

#include "charnn/io/checkpoint.h"
#include "charnn/io/import.h"
#include "charnn/text/utf8.h"
#include "cli/commands.h"

namespace charnn::cli {

namespace {

struct ImportOptions {
  std::string state_dict;
  std::string vocabulary;
  std::string out;
  ImportNames names;
};

void run_import(const ImportOptions& o) {
  const std::vector<char32_t> vocabulary = parse_vocabulary_json(read_file_bytes(o.vocabulary), o.vocabulary);
  const StateDict state = read_state_dict(o.state_dict);
  Checkpoint checkpoint;
  try {
    checkpoint = import_state_dict(state, vocabulary, o.names);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", o.state_dict, e.what()));
  }
  save_checkpoint(o.out, checkpoint.meta, checkpoint.params, {}, {});
  const ModelConfig& m = checkpoint.meta.model;
  fmt::print("wrote {}: {} x LSTM {}, vocabulary {}, {} parameters\n", o.out, m.layers, m.hidden, m.vocab_size,
             ParameterLayout(m).parameter_count());
}

}  // namespace

void add_import_command(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Make a charnn checkpoint from a PyTorch nn.LSTM + nn.Linear state dict (see docs/interop.md).\n\n"
                "Examples:\n"
                "  charnn import --state-dict model.safetensors --vocab vocab.json --out imported.safetensors\n"
                "  charnn import --state-dict weights.npz --vocab vocab.json --out m.safetensors --lstm rnn --linear decoder");
  cmd->add_option("--state-dict", o->state_dict, ".safetensors file or np.savez archive of the state dict")->required();
  cmd->add_option("--vocab", o->vocabulary,
                  "JSON list of the characters (or code points) in one-hot order, or an object character -> index")
      ->required();
  cmd->add_option("--out", o->out, "checkpoint file to write")->required();
  cmd->add_option("--lstm", o->names.lstm, "module name of the nn.LSTM in the state dict (default: the only one)");
  cmd->add_option("--linear", o->names.linear, "module name of the output nn.Linear (default: the only one)");
  cmd->callback([o] { run_import(*o); });
}

}  // namespace charnn::cli
