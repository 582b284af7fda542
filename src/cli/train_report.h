// How `charnn train` reports: a live progress line on a terminal (bar, chars/s,
// ETA, running loss), plain lines when stdout is not a terminal, nothing but
// the final line with --quiet, or one JSON object per line with --log-json.
#pragma once

#include <chrono>
#include <string>

#include "charnn/train/trainer.h"

namespace charnn::cli {

enum class ReportStyle { live, plain, quiet, json };

// live on a terminal, plain otherwise, unless quiet or json is asked for.
ReportStyle choose_report_style(bool quiet, bool log_json);

class TrainReporter {
 public:
  explicit TrainReporter(ReportStyle style) : style_(style) {}

  void line(const std::string& text) const;          // a header or summary line
  void step(const StepReport& report);               // live style only, throttled
  void epoch(const EpochReport& report);
  void notice(const std::string& message) const;     // warnings: always on stderr
  void done(const TrainProgress& progress, const std::string& out, bool early_stopped) const;

 private:
  void clear_live_line();
  ReportStyle style_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point epoch_start_{};
  bool live_line_shown_ = false;
};

}  // namespace charnn::cli
