// The training loop; see trainer.h.
#include "charnn/train/trainer.h"

#include <array>
#include <chrono>
#include <cmath>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/data/batcher.h"
#include "charnn/error.h"
#include "charnn/io/atomic_file.h"
#include "charnn/io/sha256.h"
#include "charnn/nn/init.h"
#include "charnn/rng.h"
#include "charnn/train/evaluate.h"
#include "charnn/train/shared_checkpoint.h"

namespace charnn {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

Trainer::Trainer(const TrainConfig& train, const ModelConfig& model, Vocabulary vocabulary, TokenText tokens,
                 std::string out_dir, TrainerOptions options)
    : config_(train),
      vocabulary_(std::move(vocabulary)),
      tokens_(std::move(tokens)),
      run_dir_(std::move(out_dir)),
      options_(std::move(options)),
      model_(model),
      optimizer_(train.optimizer, model_.layout.total()) {
  initialize_parameters(model_.params.data(), model_.config, model_.layout, config_.seed);
  prepare();
}

Trainer::Trainer(const Checkpoint& checkpoint, TokenText tokens, std::string out_dir, TrainerOptions options)
    : config_(checkpoint.meta.train),
      vocabulary_(checkpoint.meta.vocabulary),
      tokens_(std::move(tokens)),
      run_dir_(std::move(out_dir)),
      options_(std::move(options)),
      model_(checkpoint.meta.model),
      optimizer_(checkpoint.meta.train.optimizer, model_.layout.total()) {
  restore(checkpoint);
  prepare();
}

void Trainer::restore(const Checkpoint& checkpoint) {
  model_.params = checkpoint.params;
  optimizer_ = Optimizer(checkpoint.meta.train.optimizer, model_.layout.total());
  if (!checkpoint.optimizer_second.empty()) optimizer_.second_moment() = checkpoint.optimizer_second;
  if (!checkpoint.optimizer_first.empty()) optimizer_.first_moment() = checkpoint.optimizer_first;
  optimizer_.set_steps(checkpoint.meta.optimizer_steps);
  config_.optimizer.learning_rate = checkpoint.meta.train.optimizer.learning_rate;
  progress_ = checkpoint.meta.progress;
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
  WindowSplit split = split_windows(windows, config_.validation_fraction, config_.seed);
  window_count_ = windows;
  train_window_count_ = static_cast<int64_t>(split.train.size());
  validation_windows_ = std::move(split.validation);
  epoch_order_ = std::move(split.train);
  const int ranks = world().size(), T = config_.seq_length;
  const int B = (config_.batch_size + ranks - 1) / ranks;  // the largest share of a batch
  workspace_ = std::make_unique<TrainingWorkspace>(model_.config, T, B, config_.precision);
  grads_.assign(model_.layout.total(), 0.0f);
  inputs_.assign(static_cast<size_t>(T) * B, 0);
  targets_.assign(static_cast<size_t>(T) * B, 0);
  if (speaks()) {
    make_directories(run_dir_.path());
    run_dir_.remove_stale_temporaries();
  }
}

void Trainer::notice(const std::string& line) const {
  if (options_.on_notice && speaks()) options_.on_notice(line);
}

bool Trainer::train_step(std::span<const int64_t> batch) {
  const int T = config_.seq_length;
  // This rank's slice of the global batch. Its gradient is scaled by the global
  // prediction count, so the sum over ranks is the global batch's mean.
  const Shard shard = shard_of(batch.size(), world().rank(), world().size());
  const int B = static_cast<int>(shard.count);
  const auto global_predictions = static_cast<int64_t>(T) * static_cast<int64_t>(batch.size());
  fill_batch(inputs_.data(), targets_.data(), tokens_, batch.subspan(shard.first, shard.count), T);
  // Dropout masks come from (seed, step, place in the global batch): a resumed
  // run, or one on another number of ranks, draws the same ones.
  const uint64_t first_stream =
      static_cast<uint64_t>(progress_.step) * static_cast<uint64_t>(config_.batch_size) + shard.first;
  fill_dropout_masks(*workspace_, model_.config, config_.seed, first_stream, T, B);
  double loss = B > 0 ? model_forward(*workspace_, model_, inputs_.data(), targets_.data(), T, B, true) : 0.0;
  if (options_.inject_non_finite_steps.erase(progress_.step) > 0) loss = NAN;
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  if (B > 0) {
    model_backward(grads_.data(), *workspace_, model_, inputs_.data(), T, B,
                   1.0f / static_cast<float>(global_predictions));
  }
  // One sum over ranks for the gradient, one for the loss and stop requests;
  // from here on every rank holds the same numbers and decides alike.
  world().allreduce_sum(grads_.data(), grads_.size());
  std::array<double, 2> totals{loss, options_.stop != nullptr && options_.stop->load() != 0 ? 1.0 : 0.0};
  world().allreduce_sum(totals.data(), totals.size());
  loss = totals[0];
  stop_agreed_ = totals[1] > 0.0;
  const double norm = clip_global_norm(grads_.data(), grads_.size(), config_.clip_norm);
  ++progress_.step;
  if (!std::isfinite(loss) || !std::isfinite(norm)) {
    ++progress_.skipped_steps;
    ++consecutive_bad_steps_;
    notice(fmt::format("step {}: non-finite {}; step skipped", progress_.step, std::isfinite(loss) ? "gradient" : "loss"));
    return false;
  }
  consecutive_bad_steps_ = 0;
  optimizer_.step(model_.params.data(), grads_.data());
  progress_.epoch_nats += loss;
  progress_.epoch_predictions += global_predictions;
  return true;
}

LossTotals Trainer::validate() {
  const Shard shard = shard_of(validation_windows_.size(), world().rank(), world().size());
  const auto windows = std::span<const int64_t>(validation_windows_).subspan(shard.first, shard.count);
  const LossTotals mine = evaluate_windows(model_, *workspace_, tokens_, windows, config_.seq_length);
  std::array<double, 2> totals{mine.nats, static_cast<double>(mine.predictions)};  // counts are exact in double
  world().allreduce_sum(totals.data(), totals.size());
  return {totals[0], static_cast<int64_t>(totals[1])};
}

bool Trainer::stop_requested_on_any_rank() {
  double requests = options_.stop != nullptr && options_.stop->load() != 0 ? 1.0 : 0.0;
  world().allreduce_sum(&requests, 1);
  return requests > 0.0;
}

void Trainer::check_replicas_agree() {
  // Every rank applies the same update to the same weights, so they stay
  // bit-identical as long as the MPI library hands every rank the same sums
  // (Open MPI's algorithms do). Checked once an epoch, before rank 0 saves.
  if (world().size() == 1) return;
  const std::string mine = sha256_hex(std::string_view(reinterpret_cast<const char*>(model_.params.data()),
                                                       model_.params.size() * sizeof(float)));
  std::string root = mine;
  world().broadcast(root);
  double differing = root == mine ? 0.0 : 1.0;
  world().allreduce_sum(&differing, 1);
  if (differing > 0.0) {
    throw Error(fmt::format("the weights of {} of {} ranks drifted from rank 0's: the MPI library's sums differ "
                            "between ranks; resume from the last checkpoint",
                            differing, world().size()));
  }
}

void Trainer::save(bool best) {
  if (!speaks()) return;
  const CheckpointMeta meta{model_.config, vocabulary_, config_, progress_, optimizer_.steps()};
  try {
    run_dir_.commit(serialize_checkpoint(meta, model_.params, optimizer_.first_moment(), optimizer_.second_moment()),
                    progress_.step, best, options_.keep);
  } catch (const Error& e) {
    // Training goes on: the previous checkpoint is intact and the next save retries.
    notice(fmt::format("warning: checkpoint not written, training continues: {}", e.what()));
  }
}

void Trainer::roll_back() {
  ++progress_.rollbacks;
  const int64_t rollbacks = progress_.rollbacks;
  if (rollbacks > options_.max_rollbacks) {
    throw Error(fmt::format("training diverged: {} rollbacks did not help; try a lower --lr or a smaller --clip",
                            options_.max_rollbacks));
  }
  const float halved = config_.optimizer.learning_rate / 2.0f;
  // The newest checkpoint that verifies (unreadable ones are passed over), read
  // by rank 0 and sent to every rank.
  const CheckpointChoice choice =
      load_first_good_checkpoint(world(), speaks() ? run_dir_.resume_candidates() : std::vector<std::string>{});
  if (!choice.checkpoint) throw Error("training diverged before any checkpoint was written; try a lower --lr");
  restore(*choice.checkpoint);
  progress_.rollbacks = rollbacks;
  config_.optimizer.learning_rate = halved;
  optimizer_.set_learning_rate(halved);
  consecutive_bad_steps_ = 0;
  notice(fmt::format("diverging: rolled back to {} (step {}), learning rate halved to {}", choice.path,
                     progress_.step, halved));
}

Trainer::EpochsOutcome Trainer::run_epochs() {
  const int B = config_.batch_size;
  while (progress_.epochs_done < config_.epochs && !progress_.early_stopped) {
    const int64_t epoch = progress_.epochs_done + 1;
    // The train windows, ascending, then shuffled from (seed, epoch) alone.
    complement_windows(window_count_, validation_windows_, epoch_order_);
    shuffle_for_epoch(epoch_order_, config_.seed, epoch);
    const size_t windows_in_epoch = epoch_order_.size();
    const auto batches = static_cast<int64_t>((windows_in_epoch + static_cast<size_t>(B) - 1) / static_cast<size_t>(B));
    auto start = Clock::now();
    for (int64_t batch = progress_.batch_in_epoch; batch < batches; ++batch) {
      const size_t first = static_cast<size_t>(batch) * static_cast<size_t>(B);
      const auto windows =
          std::span<const int64_t>(epoch_order_).subspan(first, std::min<size_t>(B, windows_in_epoch - first));
      const bool ok = train_step(windows);
      progress_.batch_in_epoch = batch + 1;
      if (options_.on_step && speaks()) {
        const double seconds = progress_.epoch_seconds + seconds_since(start);
        options_.on_step({epoch, batch + 1, batches,
                          progress_.epoch_predictions > 0 ? progress_.epoch_nats / static_cast<double>(progress_.epoch_predictions) : NAN,
                          static_cast<double>(progress_.epoch_predictions) / std::max(seconds, 1e-9)});
      }
      if (!ok && consecutive_bad_steps_ >= options_.max_bad_steps) return EpochsOutcome::diverged;
      const bool stop = stop_agreed_;
      const bool scheduled = options_.checkpoint_every > 0 && progress_.step % options_.checkpoint_every == 0;
      if ((stop || scheduled) && batch + 1 < batches) {
        progress_.epoch_seconds += seconds_since(start);
        start = Clock::now();
        save(false);
        if (stop) return EpochsOutcome::stopped;
      }
    }
    progress_.epoch_seconds += seconds_since(start);
    finish_epoch(epoch);
    if (progress_.early_stopped) return EpochsOutcome::completed;
    if (progress_.epochs_done < config_.epochs && stop_requested_on_any_rank()) {
      return EpochsOutcome::stopped;
    }
  }
  return EpochsOutcome::completed;
}

void Trainer::finish_epoch(int64_t epoch) {
  const LossTotals validation = validate();
  check_replicas_agree();
  EpochReport report;
  report.epochs = config_.epochs;
  const double train_loss = progress_.epoch_predictions > 0
                                ? progress_.epoch_nats / static_cast<double>(progress_.epoch_predictions)
                                : NAN;
  const double elapsed = (progress_.history.empty() ? 0.0 : progress_.history.back().elapsed) + progress_.epoch_seconds;
  report.record = {epoch,
                   train_loss,
                   validation.mean(),
                   static_cast<double>(progress_.epoch_predictions) / std::max(progress_.epoch_seconds, 1e-9),
                   progress_.epoch_seconds,
                   progress_.step,
                   config_.optimizer.learning_rate,
                   elapsed};
  if (!progress_.history.empty()) {
    const EpochRecord& previous = progress_.history.back();
    report.overfitting =
        report.record.validation_loss > previous.validation_loss && report.record.train_loss < previous.train_loss;
  }
  progress_.epochs_done = epoch;
  progress_.batch_in_epoch = 0;
  progress_.epoch_nats = 0.0;
  progress_.epoch_predictions = 0;
  progress_.epoch_seconds = 0.0;
  progress_.history.push_back(report.record);
  // Without a validation set, "best" follows the training loss.
  const double score = validation.predictions > 0 ? validation.mean() : train_loss;
  if (score < progress_.best_validation_loss) {
    progress_.best_validation_loss = score;
    progress_.best_epoch = epoch;
    report.improved = true;
  }
  report.epochs_since_best = epoch - progress_.best_epoch;
  if (config_.patience > 0 && report.epochs_since_best >= config_.patience) progress_.early_stopped = true;
  // Decay before saving, so a resumed run continues with the decayed rate.
  if (config_.lr_decay < 1.0f && epoch >= config_.lr_decay_after) {
    config_.optimizer.learning_rate *= config_.lr_decay;
    optimizer_.set_learning_rate(config_.optimizer.learning_rate);
  }
  save(report.improved);
  write_metrics();
  if (options_.on_epoch && speaks()) options_.on_epoch(report);
}

void Trainer::write_metrics() const {
  if (!speaks()) return;
  // Rebuilt from the checkpointed history each epoch, so it always agrees with
  // the checkpoints, even after a kill and a resume.
  std::string lines;
  for (const EpochRecord& r : progress_.history) {
    nlohmann::json line{{"epoch", r.epoch},
                        {"step", r.step},
                        {"train_loss", r.train_loss},
                        {"validation_loss", std::isfinite(r.validation_loss) ? nlohmann::json(r.validation_loss) : nlohmann::json()},
                        {"validation_bits_per_char",
                         std::isfinite(r.validation_loss) ? nlohmann::json(r.validation_loss / std::log(2.0)) : nlohmann::json()},
                        {"learning_rate", r.learning_rate},
                        {"chars_per_second", r.chars_per_second},
                        {"seconds", r.seconds},
                        {"elapsed", r.elapsed}};
    lines += line.dump() + "\n";
  }
  try {
    write_file_atomically(run_dir_.file("metrics.jsonl"), lines);
  } catch (const Error& e) {
    notice(fmt::format("warning: metrics not written: {}", e.what()));
  }
}

RunOutcome Trainer::run() {
  // A fresh run checkpoints its initial state, so there is always something to
  // resume or roll back to.
  if (progress_.step == 0 && progress_.epochs_done == 0) save(false);
  while (true) {
    switch (run_epochs()) {
      case EpochsOutcome::completed:
        return progress_.early_stopped ? RunOutcome::early_stopped : RunOutcome::completed;
      case EpochsOutcome::stopped: return RunOutcome::stopped;
      case EpochsOutcome::diverged: roll_back(); break;
    }
  }
}

}  // namespace charnn
