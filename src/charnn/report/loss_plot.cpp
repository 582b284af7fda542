// Loss curves from metrics; see loss_plot.h.
#include "charnn/report/loss_plot.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

namespace {

// Blue and orange: told apart with every common form of colour blindness.
constexpr const char* kTrainColor = "#1f77b4";
constexpr const char* kValidationColor = "#e6700a";

std::string summary(const std::vector<MetricsRecord>& records, const ChartSeries& validation) {
  const std::string epochs = records.size() == 1 ? "1 epoch" : fmt::format("{} epochs", records.size());
  if (validation.highlighted.empty()) {
    return fmt::format("{}; last train loss {:.4f}", epochs, records.back().train_loss);
  }
  const size_t best = validation.highlighted.front();
  const double loss = records[best].validation_loss;
  return fmt::format("{}; best validation loss {:.4f} nats/char ({:.3f} bits/char) at epoch {}", epochs, loss,
                     loss / std::numbers::ln2, records[best].epoch);
}

}  // namespace

Chart loss_chart(std::vector<MetricsRecord> records, const LossPlotOptions& options) {
  if (records.empty()) throw Error("no epochs to plot yet: metrics.jsonl gains a line at the end of each epoch");
  std::stable_sort(records.begin(), records.end(),
                   [](const MetricsRecord& a, const MetricsRecord& b) { return a.epoch < b.epoch; });
  std::vector<MetricsRecord> unique;
  for (const MetricsRecord& r : records) {
    if (!unique.empty() && unique.back().epoch == r.epoch) unique.pop_back();
    unique.push_back(r);
  }
  ChartSeries train{"train loss", kTrainColor, {}, {}, {}};
  ChartSeries validation{"validation loss", kValidationColor, {}, {}, {}};
  for (size_t i = 0; i < unique.size(); ++i) {
    const MetricsRecord& r = unique[i];
    train.x.push_back(static_cast<double>(r.epoch));
    train.y.push_back(r.train_loss);
    validation.x.push_back(static_cast<double>(r.epoch));
    validation.y.push_back(r.validation_loss);
    if (std::isfinite(r.validation_loss) &&
        (validation.highlighted.empty() || r.validation_loss < unique[validation.highlighted[0]].validation_loss)) {
      validation.highlighted = {i};
    }
  }
  Chart chart;
  chart.title = options.title;
  chart.subtitle = summary(unique, validation);
  chart.x_label = "epoch";
  chart.y_label = "loss (nats per character)";
  if (options.bits_axis) {
    chart.right_label = "bits per character";
    chart.right_scale = 1.0 / std::numbers::ln2;
  }
  chart.integer_x = true;
  chart.width = options.width;
  chart.height = options.height;
  chart.series = {train, validation};
  return chart;
}

std::string loss_plot_svg(const std::vector<MetricsRecord>& records, const LossPlotOptions& options) {
  return render_svg(loss_chart(records, options));
}

}  // namespace charnn
