// The training loop; see trainer.h.
#include "charnn/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "charnn/data/batcher.h"
#include "charnn/error.h"
#include "charnn/io/atomic_file.h"
#include "charnn/nn/init.h"
#include "charnn/rng.h"
#include "charnn/train/evaluate.h"

namespace charnn {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
}  // namespace

Trainer::Trainer(const TrainConfig& train, const ModelConfig& model, Vocabulary vocabulary,
                 std::vector<int32_t> tokens, std::string out_dir)
    : config_(train),
      vocabulary_(std::move(vocabulary)),
      tokens_(std::move(tokens)),
      out_dir_(std::move(out_dir)),
      model_(model),
      optimizer_(train.optimizer, model_.layout.total()) {
  initialize_parameters(model_.params.data(), model_.config, model_.layout, config_.seed);
  prepare();
}

Trainer::Trainer(const Checkpoint& checkpoint, std::vector<int32_t> tokens, std::string out_dir)
    : config_(checkpoint.meta.train),
      vocabulary_(checkpoint.meta.vocabulary),
      tokens_(std::move(tokens)),
      out_dir_(std::move(out_dir)),
      model_(checkpoint.meta.model),
      optimizer_(checkpoint.meta.train.optimizer, model_.layout.total()),
      progress_(checkpoint.meta.progress) {
  model_.params = checkpoint.params;
  if (!checkpoint.optimizer_second.empty()) optimizer_.second_moment() = checkpoint.optimizer_second;
  if (!checkpoint.optimizer_first.empty()) optimizer_.first_moment() = checkpoint.optimizer_first;
  optimizer_.set_steps(checkpoint.meta.optimizer_steps);
  prepare();
}

void Trainer::prepare() {
  config_.validate();
  model_.config.validate();
  const int64_t windows = count_windows(static_cast<int64_t>(tokens_.size()), config_.seq_length);
  if (windows < 1) {
    throw Error(fmt::format("the text has {} characters, fewer than one sequence of {} plus its target; use a "
                            "longer text or a smaller --seq",
                            tokens_.size(), config_.seq_length));
  }
  split_ = split_windows(windows, config_.validation_fraction, config_.seed);
  const int B = config_.batch_size, T = config_.seq_length;
  workspace_ = std::make_unique<TrainingWorkspace>(model_.config, T, B);
  grads_.assign(model_.layout.total(), 0.0f);
  inputs_.assign(static_cast<size_t>(T) * B, 0);
  targets_.assign(static_cast<size_t>(T) * B, 0);
  make_directories(out_dir_);
}

double Trainer::train_step(std::span<const int64_t> windows) {
  const int T = config_.seq_length;
  const int B = static_cast<int>(windows.size());
  fill_batch(inputs_.data(), targets_.data(), tokens_, windows, T);
  // Dropout masks come from (seed, step): a resumed run draws the same ones.
  Rng dropout_rng(config_.seed, RngStream::dropout, static_cast<uint64_t>(progress_.step));
  fill_dropout_masks(*workspace_, model_.config, dropout_rng, T, B);
  const double loss = model_forward(*workspace_, model_, inputs_.data(), targets_.data(), T, B, true);
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  model_backward(grads_.data(), *workspace_, model_, inputs_.data(), T, B, 1.0f / static_cast<float>(T * B));
  const double norm = clip_global_norm(grads_.data(), grads_.size(), config_.clip_norm);
  if (std::isfinite(loss) && std::isfinite(norm)) optimizer_.step(model_.params.data(), grads_.data());
  ++progress_.step;
  return loss;
}

void Trainer::save(const std::string& name, std::string& warning) const {
  const CheckpointMeta meta{model_.config, vocabulary_, config_, progress_, optimizer_.steps()};
  const std::string path = (std::filesystem::path(out_dir_) / name).string();
  try {
    save_checkpoint(path, meta, model_.params, optimizer_.first_moment(), optimizer_.second_moment());
  } catch (const Error& e) {
    // Training goes on: the previous checkpoint is intact and the next save retries.
    warning += (warning.empty() ? "" : "; ") + std::string(e.what());
  }
}

void Trainer::run(const EpochCallback& on_epoch) {
  const int B = config_.batch_size, T = config_.seq_length;
  while (progress_.epochs_done < config_.epochs) {
    const int64_t epoch = progress_.epochs_done + 1;
    const std::vector<int64_t> order = epoch_order(split_.train, config_.seed, epoch);
    const auto batches = static_cast<int64_t>((order.size() + static_cast<size_t>(B) - 1) / static_cast<size_t>(B));
    LossTotals train_totals;
    const auto start = Clock::now();
    for (int64_t batch = progress_.batch_in_epoch; batch < batches; ++batch) {
      const size_t first = static_cast<size_t>(batch) * static_cast<size_t>(B);
      const auto windows = std::span<const int64_t>(order).subspan(first, std::min<size_t>(B, order.size() - first));
      train_totals.nats += train_step(windows);
      train_totals.predictions += static_cast<int64_t>(T) * static_cast<int64_t>(windows.size());
      progress_.batch_in_epoch = batch + 1;
    }
    const double train_seconds = seconds_since(start);
    const LossTotals validation = evaluate_windows(model_, *workspace_, tokens_, split_.validation, T);

    EpochReport report;
    report.epochs = config_.epochs;
    report.record = {epoch, train_totals.mean(), validation.mean(),
                     static_cast<double>(train_totals.predictions) / std::max(train_seconds, 1e-9), train_seconds};
    if (!progress_.history.empty()) {
      const EpochRecord& previous = progress_.history.back();
      report.overfitting = report.record.validation_loss > previous.validation_loss &&
                           report.record.train_loss < previous.train_loss;
    }
    progress_.epochs_done = epoch;
    progress_.batch_in_epoch = 0;
    progress_.history.push_back(report.record);
    // Without a validation set, "best" follows the training loss.
    const double score = validation.predictions > 0 ? validation.mean() : train_totals.mean();
    if (score < progress_.best_validation_loss) {
      progress_.best_validation_loss = score;
      progress_.best_epoch = epoch;
      report.improved = true;
    }
    save("last.safetensors", report.checkpoint_warning);
    if (report.improved) save("best.safetensors", report.checkpoint_warning);
    if (on_epoch) on_epoch(report);
  }
}

}  // namespace charnn
