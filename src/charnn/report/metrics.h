// Reading a run's metrics.jsonl (the trainer writes one JSON object per epoch)
// into records a plot or a report can use. It parses text; reading the file is
// the caller's job, and it knows nothing of how the numbers are drawn.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace charnn {

struct MetricsRecord {
  int64_t epoch = 0;               // 1-based
  int64_t step = 0;                // optimizer steps at the epoch's end; 0 when absent
  double train_loss = 0.0;         // nats per character
  double validation_loss = 0.0;    // nats per character; NaN without a validation set
  double learning_rate = 0.0;      // NaN when absent
  double chars_per_second = 0.0;   // NaN when absent
  double elapsed = 0.0;            // training seconds since the run began; NaN when absent
};

// One record per non-blank line, in file order. `epoch` and `train_loss` are
// required; `validation_loss` may be null; other fields may be missing; unknown
// fields are ignored. Throws Error "<source>: line N ..." for anything else.
std::vector<MetricsRecord> parse_metrics_jsonl(std::string_view text, const std::string& source);

}  // namespace charnn
