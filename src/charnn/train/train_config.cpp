// TrainConfig validation and the JSON forms of config and progress; see train_config.h.
#include "charnn/train/train_config.h"

#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"

namespace charnn {

void TrainConfig::validate() const {
  if (seq_length < 1 || seq_length > 100000) throw Error(fmt::format("--seq must be between 1 and 100000 (got {})", seq_length));
  if (batch_size < 1 || batch_size > 100000) throw Error(fmt::format("--batch must be between 1 and 100000 (got {})", batch_size));
  if (epochs < 1) throw Error(fmt::format("--epochs must be at least 1 (got {})", epochs));
  if (!(optimizer.learning_rate > 0.0f && std::isfinite(optimizer.learning_rate))) {
    throw Error(fmt::format("--lr must be a positive number (got {})", optimizer.learning_rate));
  }
  if (!(clip_norm >= 0.0 && std::isfinite(clip_norm))) throw Error(fmt::format("--clip must be >= 0 (got {})", clip_norm));
  if (patience < 0) throw Error(fmt::format("--patience must be >= 0 (got {})", patience));
  if (!(lr_decay > 0.0f && lr_decay <= 1.0f)) throw Error(fmt::format("--lr-decay must be in (0, 1] (got {})", lr_decay));
  if (lr_decay_after < 0) throw Error(fmt::format("--lr-decay-after must be >= 0 (got {})", lr_decay_after));
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0)) {
    throw Error(fmt::format("--val-fraction must be in [0, 1) (got {})", validation_fraction));
  }
}

nlohmann::json train_config_to_json(const TrainConfig& c) {
  return {{"preset", c.preset},
          {"text_path", c.text_path},
          {"text_sha256", c.text_sha256},
          {"seq_length", c.seq_length},
          {"batch_size", c.batch_size},
          {"epochs", c.epochs},
          {"optimizer", optimizer_name(c.optimizer.kind)},
          {"learning_rate", c.optimizer.learning_rate},
          {"rho", c.optimizer.rho},
          {"beta1", c.optimizer.beta1},
          {"beta2", c.optimizer.beta2},
          {"epsilon", c.optimizer.epsilon},
          {"clip_norm", c.clip_norm},
          {"seed", c.seed},
          {"validation_fraction", c.validation_fraction},
          {"patience", c.patience},
          {"lr_decay", c.lr_decay},
          {"lr_decay_after", c.lr_decay_after},
          {"precision", precision_name(c.precision)}};
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  try {
    TrainConfig c;
    c.preset = j.at("preset").get<std::string>();
    c.text_path = j.at("text_path").get<std::string>();
    c.text_sha256 = j.at("text_sha256").get<std::string>();
    c.seq_length = j.at("seq_length").get<int>();
    c.batch_size = j.at("batch_size").get<int>();
    c.epochs = j.at("epochs").get<int>();
    c.optimizer.kind = optimizer_from_name(j.at("optimizer").get<std::string>());
    c.optimizer.learning_rate = j.at("learning_rate").get<float>();
    c.optimizer.rho = j.at("rho").get<float>();
    c.optimizer.beta1 = j.at("beta1").get<float>();
    c.optimizer.beta2 = j.at("beta2").get<float>();
    c.optimizer.epsilon = j.at("epsilon").get<float>();
    c.clip_norm = j.at("clip_norm").get<double>();
    c.seed = j.at("seed").get<uint64_t>();
    c.validation_fraction = j.at("validation_fraction").get<double>();
    c.patience = j.value("patience", 0);
    c.lr_decay = j.value("lr_decay", 1.0f);
    c.lr_decay_after = j.value("lr_decay_after", 0);
    // Checkpoints from before bf16 have no precision: they trained in f32.
    const std::string precision = j.value("precision", std::string("f32"));
    const std::optional<Precision> parsed = parse_precision(precision);
    if (!parsed) throw Error(fmt::format("unknown training precision '{}' (use f32 or bf16)", precision));
    c.precision = *parsed;
    c.validate();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("training configuration is malformed ({})", e.what()));
  }
}

namespace {
// JSON has no NaN or infinity; null stands for "none yet".
nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }
double number_or(const nlohmann::json& j, double fallback) { return j.is_number() ? j.get<double>() : fallback; }
}  // namespace

nlohmann::json train_progress_to_json(const TrainProgress& p) {
  nlohmann::json history = nlohmann::json::array();
  for (const EpochRecord& r : p.history) {
    history.push_back({{"epoch", r.epoch},
                       {"train_loss", finite_or_null(r.train_loss)},
                       {"validation_loss", finite_or_null(r.validation_loss)},
                       {"chars_per_second", r.chars_per_second},
                       {"seconds", r.seconds},
                       {"step", r.step},
                       {"learning_rate", r.learning_rate},
                       {"elapsed", r.elapsed}});
  }
  return {{"epochs_done", p.epochs_done},
          {"step", p.step},
          {"batch_in_epoch", p.batch_in_epoch},
          {"best_validation_loss", finite_or_null(p.best_validation_loss)},
          {"best_epoch", p.best_epoch},
          {"early_stopped", p.early_stopped},
          {"history", history},
          {"epoch_nats", p.epoch_nats},
          {"epoch_predictions", p.epoch_predictions},
          {"epoch_seconds", p.epoch_seconds},
          {"skipped_steps", p.skipped_steps},
          {"rollbacks", p.rollbacks}};
}

TrainProgress train_progress_from_json(const nlohmann::json& j) {
  try {
    TrainProgress p;
    p.epochs_done = j.at("epochs_done").get<int64_t>();
    p.step = j.at("step").get<int64_t>();
    p.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
    p.best_validation_loss = number_or(j.at("best_validation_loss"), std::numeric_limits<double>::infinity());
    p.best_epoch = j.at("best_epoch").get<int64_t>();
    p.early_stopped = j.value("early_stopped", false);
    p.epoch_nats = j.value("epoch_nats", 0.0);
    p.epoch_predictions = j.value("epoch_predictions", int64_t{0});
    p.epoch_seconds = j.value("epoch_seconds", 0.0);
    p.skipped_steps = j.value("skipped_steps", int64_t{0});
    p.rollbacks = j.value("rollbacks", int64_t{0});
    for (const auto& r : j.at("history")) {
      p.history.push_back({r.at("epoch").get<int64_t>(), number_or(r.at("train_loss"), NAN),
                           number_or(r.at("validation_loss"), NAN), r.at("chars_per_second").get<double>(),
                           r.at("seconds").get<double>(), r.value("step", int64_t{0}), r.value("learning_rate", 0.0),
                           r.value("elapsed", 0.0)});
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("training progress is malformed ({})", e.what()));
  }
}

}  // namespace charnn
