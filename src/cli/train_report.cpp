// Progress output for training; see train_report.h.
#include "cli/train_report.h"

#include <cmath>
#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace charnn::cli {

namespace {

std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(seconds);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }

}  // namespace

ReportStyle choose_report_style(bool quiet, bool log_json) {
  if (log_json) return ReportStyle::json;
  if (quiet) return ReportStyle::quiet;
  return ::isatty(STDOUT_FILENO) ? ReportStyle::live : ReportStyle::plain;
}

void TrainReporter::line(const std::string& text) const {
  if (style_ == ReportStyle::quiet) return;
  if (style_ == ReportStyle::json) {
    fmt::print("{}\n", nlohmann::json{{"event", "info"}, {"message", text}}.dump());
  } else {
    fmt::print("{}\n", text);
  }
  std::fflush(stdout);
}

void TrainReporter::clear_live_line() {
  if (!live_line_shown_) return;
  fmt::print("\r\033[K");
  live_line_shown_ = false;
}

void TrainReporter::step(const StepReport& r) {
  if (style_ != ReportStyle::live) return;
  const auto now = std::chrono::steady_clock::now();
  if (r.batch == 1) epoch_start_ = now;
  if (r.batch < r.batches && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  constexpr int width = 24;
  const auto filled = static_cast<int>(width * r.batch / std::max<int64_t>(r.batches, 1));
  const double done = static_cast<double>(r.batch) / static_cast<double>(std::max<int64_t>(r.batches, 1));
  // The epoch's remaining share at the pace so far.
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double eta = done > 0 ? elapsed * (1.0 - done) / done : NAN;
  fmt::print("\r\033[Kepoch {} [{}{}] {:3.0f}%  loss {:.4f}  {:.0f} chars/s  epoch ETA {}", r.epoch,
             std::string(filled, '#'), std::string(width - filled, '.'), 100.0 * done, r.train_loss,
             r.chars_per_second, duration(eta));
  std::fflush(stdout);
  live_line_shown_ = true;
}

void TrainReporter::epoch(const EpochReport& r) {
  const EpochRecord& e = r.record;
  if (style_ == ReportStyle::quiet) return;
  if (style_ == ReportStyle::json) {
    fmt::print("{}\n", nlohmann::json{{"event", "epoch"},
                                      {"epoch", e.epoch},
                                      {"epochs", r.epochs},
                                      {"step", e.step},
                                      {"train_loss", finite_or_null(e.train_loss)},
                                      {"validation_loss", finite_or_null(e.validation_loss)},
                                      {"validation_bits_per_char", finite_or_null(e.validation_loss / std::log(2.0))},
                                      {"learning_rate", e.learning_rate},
                                      {"chars_per_second", e.chars_per_second},
                                      {"elapsed", e.elapsed},
                                      {"best", r.improved},
                                      {"overfitting", r.overfitting}}
                           .dump());
    std::fflush(stdout);
    return;
  }
  clear_live_line();
  std::string validation = "val -";
  if (std::isfinite(e.validation_loss)) {
    validation = fmt::format("val {:.4f}  val bpc {:.3f}", e.validation_loss, e.validation_loss / std::log(2.0));
  }
  const double eta = e.seconds * static_cast<double>(r.epochs - e.epoch);
  std::string flags;
  if (r.improved) flags += "  best";
  if (r.overfitting) flags += "  (val up, train down: overfitting?)";
  fmt::print("epoch {:>{}}/{}  train {:.4f}  {}  {:>8.0f} chars/s  ETA {}{}\n", e.epoch,
             fmt::formatted_size("{}", r.epochs), r.epochs, e.train_loss, validation, e.chars_per_second,
             duration(eta), flags);
  std::fflush(stdout);
}

void TrainReporter::notice(const std::string& message) const {
  std::fflush(stdout);
  if (style_ == ReportStyle::json) {
    fmt::print(stderr, "{}\n", nlohmann::json{{"event", "notice"}, {"message", message}}.dump());
  } else {
    fmt::print(stderr, "{}charnn: {}\n", live_line_shown_ ? "\n" : "", message);
  }
}

void TrainReporter::done(const TrainProgress& p, const std::string& out, bool early_stopped) const {
  if (style_ == ReportStyle::json) {
    fmt::print("{}\n", nlohmann::json{{"event", "done"},
                                      {"best_validation_loss", finite_or_null(p.best_validation_loss)},
                                      {"best_epoch", p.best_epoch},
                                      {"epochs_done", p.epochs_done},
                                      {"early_stopped", early_stopped},
                                      {"run_directory", out}}
                           .dump());
    return;
  }
  fmt::print("done{}: best validation loss {:.4f} ({:.3f} bits/char) at epoch {}; checkpoints in {}\n",
             early_stopped ? fmt::format(" (stopped early after epoch {}: no improvement)", p.epochs_done) : "",
             p.best_validation_loss, p.best_validation_loss / std::log(2.0), p.best_epoch, out);
}

}  // namespace charnn::cli
