// The subcommands of the charnn program. Each file binds an options struct to
// CLI11 and calls the library; the work happens in the library.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/nn/precision.h"

namespace charnn::cli {

// An impossible option value: main exits 2 for it, as for a parse error.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Training stopped by SIGINT/SIGTERM after writing a checkpoint: main prints
// the message and exits with the conventional 128 + signal number.
class StoppedBySignal : public Error {
 public:
  StoppedBySignal(const std::string& message, int exit_code) : Error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

void add_train_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_novelty_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_probe_command(CLI::App& app);
void add_import_command(CLI::App& app);

// Runs a validation function, turning its Error into a UsageError.
template <class F>
void as_usage_error(F&& check) {
  try {
    check();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

// The value of --precision (train, bench); a UsageError for any other spelling.
inline Precision precision_option(const std::string& name) {
  const std::optional<Precision> precision = parse_precision(name);
  if (!precision) throw UsageError(fmt::format("--precision must be f32 or bf16 (got '{}')", name));
  return *precision;
}

}  // namespace charnn::cli
