// Parsing metrics.jsonl; see metrics.h.
#include "charnn/report/metrics.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"

namespace charnn {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A numeric field: NaN when absent (or null and `nullable`), Error when of another type.
double number_field(const nlohmann::json& line, const char* key, bool required, const std::string& where) {
  const auto it = line.find(key);
  if (it == line.end() || it->is_null()) {
    if (required) throw Error(fmt::format("{} lacks '{}'", where, key));
    return kNaN;
  }
  if (!it->is_number()) throw Error(fmt::format("{}: '{}' is not a number", where, key));
  return it->get<double>();
}

MetricsRecord parse_line(std::string_view text, const std::string& where) {
  nlohmann::json line;
  try {
    line = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{} is not valid JSON", where));
  }
  if (!line.is_object()) throw Error(fmt::format("{} is not a JSON object", where));
  MetricsRecord r;
  const double epoch = number_field(line, "epoch", true, where);
  if (!(epoch >= 1.0 && epoch == std::floor(epoch) && epoch < 1e15)) {
    throw Error(fmt::format("{}: 'epoch' must be a whole number >= 1", where));
  }
  r.epoch = static_cast<int64_t>(epoch);
  const double step = number_field(line, "step", false, where);
  r.step = std::isfinite(step) ? static_cast<int64_t>(step) : 0;
  r.train_loss = number_field(line, "train_loss", true, where);
  r.validation_loss = number_field(line, "validation_loss", false, where);
  r.learning_rate = number_field(line, "learning_rate", false, where);
  r.chars_per_second = number_field(line, "chars_per_second", false, where);
  r.elapsed = number_field(line, "elapsed", false, where);
  return r;
}

}  // namespace

std::vector<MetricsRecord> parse_metrics_jsonl(std::string_view text, const std::string& source) {
  std::vector<MetricsRecord> records;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    records.push_back(parse_line(line, fmt::format("{}: line {}", source, line_number)));
  }
  return records;
}

}  // namespace charnn
