// The loss curves of a training run: train and validation loss per epoch, in
// nats per character, optionally with a bits-per-character scale on the right,
// the best validation epoch ringed. Turns metrics (metrics.h) into a chart
// (chart.h); it reads and writes no files.
#pragma once

#include <string>
#include <vector>

#include "charnn/report/chart.h"
#include "charnn/report/metrics.h"

namespace charnn {

struct LossPlotOptions {
  std::string title = "Training loss";
  bool bits_axis = false;  // a right-hand axis in bits per character (nats / ln 2)
  int width = 760, height = 460;
};

// Throws Error when there is no epoch to draw. Records are drawn in epoch
// order; when an epoch appears twice the later record wins.
Chart loss_chart(std::vector<MetricsRecord> records, const LossPlotOptions& options);
std::string loss_plot_svg(const std::vector<MetricsRecord>& records, const LossPlotOptions& options);

}  // namespace charnn
