// charnn: learn a character-level LSTM language model from UTF-8 text and
// write new text in its style. Exit codes: 0 success, 1 runtime error, 2 usage error.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "charnn/nn/blas.h"
#include "charnn/nn/blas_kernels.h"
#include "cli/commands.h"
#include "cli/environment_check.h"

int main(int argc, char** argv) {
  charnn::reexecute_with_fitting_blas_kernels(argv);
  charnn::cli::warn_about_unread_settings();
  CLI::App app{"charnn: character-level LSTM language models, trained and sampled on the CPU.\n\n"
               "Examples:\n"
               "  charnn train --preset municipios --out runs/municipios\n"
               "  charnn sample --model runs/municipios --items 20 --temperature 0.8\n"
               "  charnn novelty --model runs/municipios --items-file names.txt\n"
               "  charnn eval --model runs/municipios/best.safetensors --text names.txt\n"
               "  charnn info --model runs/municipios/best.safetensors\n"
               "  charnn bench --config B --json\n"
               "  charnn plot runs/municipios -o loss.svg\n"
               "  charnn serve --model runs/municipios --port 8080\n"
               "  charnn probe --model runs/municipios --prime 'San '\n"
               "  charnn import --state-dict model.safetensors --vocab vocab.json --out imported.safetensors",
               "charnn"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("charnn 0.1.0 (OpenBLAS kernels: {})", charnn::blas_kernels_in_use()));
  charnn::cli::add_train_command(app);
  charnn::cli::add_sample_command(app);
  charnn::cli::add_novelty_command(app);
  charnn::cli::add_eval_command(app);
  charnn::cli::add_info_command(app);
  charnn::cli::add_bench_command(app);
  charnn::cli::add_plot_command(app);
  charnn::cli::add_serve_command(app);
  charnn::cli::add_probe_command(app);
  charnn::cli::add_import_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "charnn: usage error: {}\n", e.what());
    return 2;
  } catch (const charnn::cli::StoppedBySignal& e) {
    fmt::print(stderr, "charnn: {}\n", e.what());
    return e.exit_code();
  } catch (const charnn::cli::UsageError& e) {
    fmt::print(stderr, "charnn: usage error: {}\n", e.what());
    return 2;
  } catch (const charnn::Error& e) {
    fmt::print(stderr, "charnn: error: {}\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "charnn: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "charnn: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
