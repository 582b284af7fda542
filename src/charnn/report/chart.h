// A line chart as a self-contained SVG document: title, subtitle, legend,
// axes with "nice" ticks (1, 2 or 5 times a power of ten), grid lines, axis
// labels, an optional second scale on the right, and one polyline with point
// markers per series. It knows nothing of losses or files: loss_plot.h decides
// what to draw, the caller decides where the text goes.
#pragma once

#include <string>
#include <vector>

namespace charnn {

struct ChartSeries {
  std::string label;         // legend text
  std::string color;         // an SVG colour, e.g. "#1f77b4"
  std::vector<double> x, y;  // one point each; a non-finite y breaks the line there
  std::vector<size_t> highlighted;  // indices of points drawn with a ring around the marker
};

struct Chart {
  std::string title;
  std::string subtitle;        // one line under the title; may be empty
  std::string x_label, y_label;
  std::string right_label;     // empty: no right axis
  double right_scale = 1.0;    // right-axis value = left-axis value * right_scale
  bool integer_x = false;      // x ticks at whole numbers only
  int width = 760, height = 460;  // pixels
  std::vector<ChartSeries> series;
};

// Where everything goes. The data ranges are widened to whole ticks; the plot
// area is in pixels with y growing downwards, as in SVG.
struct ChartLayout {
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  std::vector<double> x_ticks, y_ticks;
  std::vector<double> right_ticks;  // in right-axis units, all inside the range
  int x_decimals = 0, y_decimals = 0, right_decimals = 0;
  double left = 0, top = 0, right = 0, bottom = 0;

  double px(double x) const { return left + (x - x_min) / (x_max - x_min) * (right - left); }
  double py(double y) const { return bottom - (y - y_min) / (y_max - y_min) * (bottom - top); }
};

// Ticks 1, 2 or 5 times a power of ten apart, about `target` of them, from at
// or below lo to at or above hi; whole numbers only when `integers`. A range
// of zero width is widened around its value first.
std::vector<double> nice_ticks(double lo, double hi, int target, bool integers);
// Decimals that show every tick of a sequence with this spacing exactly.
int tick_decimals(double step);

ChartLayout layout_chart(const Chart& chart);
std::string render_svg(const Chart& chart);

// Text made safe for XML content and attribute values.
std::string xml_escape(const std::string& text);

}  // namespace charnn
