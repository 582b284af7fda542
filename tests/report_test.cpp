// The loss plot and its parts: metrics.jsonl parsing, nice ticks, and an SVG
// that is well-formed XML with the polylines and markers the metrics imply,
// at the pixel positions the layout promises.
#include <cmath>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/error.h"
#include "charnn/report/loss_plot.h"
#include "charnn/report/metrics.h"
#include "xml_check.h"

namespace charnn {
namespace {

// Four epochs; validation is missing at epoch 3 (null) and best at epoch 4.
const std::string kMetrics =
    R"({"epoch":1,"step":5,"train_loss":2.0,"validation_loss":2.1,"validation_bits_per_char":3.03,"learning_rate":0.002,"chars_per_second":1000.0,"seconds":0.5,"elapsed":0.5})"
    "\n"
    R"({"epoch":2,"step":10,"train_loss":1.5,"validation_loss":1.6,"learning_rate":0.002,"extra":"ignored"})"
    "\n\n"
    R"({"epoch":3,"step":15,"train_loss":1.2,"validation_loss":null})"
    "\n"
    R"({"epoch":4,"step":20,"train_loss":1.0,"validation_loss":1.3})"
    "\n";

std::vector<std::string> matches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> found;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    found.push_back((*it)[1].str());
  }
  return found;
}

// The points attribute of every polyline in the series group labelled `label`.
std::vector<std::string> polylines_of(const std::string& svg, const std::string& label) {
  const size_t start = svg.find("data-series=\"" + label + "\"");
  if (start == std::string::npos) return {};
  const std::string group = svg.substr(start, svg.find("</g>", start) - start);
  return matches(group, R"re(<polyline[^>]* points="([^"]*)")re");
}

std::vector<std::pair<double, double>> parse_points(const std::string& points) {
  std::vector<std::pair<double, double>> out;
  std::istringstream in(points);
  for (std::string pair; in >> pair;) {
    const size_t comma = pair.find(',');
    out.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  }
  return out;
}

TEST(Metrics, ParsesEveryLineSkippingBlanksWithNullValidationAsNaN) {
  const std::vector<MetricsRecord> records = parse_metrics_jsonl(kMetrics, "metrics.jsonl");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].epoch, 1);
  EXPECT_EQ(records[0].step, 5);
  EXPECT_DOUBLE_EQ(records[0].train_loss, 2.0);
  EXPECT_DOUBLE_EQ(records[0].learning_rate, 0.002);
  EXPECT_TRUE(std::isnan(records[2].validation_loss));
  EXPECT_TRUE(std::isnan(records[3].learning_rate)) << "absent fields are NaN";
}

TEST(Metrics, NamesTheLineOfABadRecord) {
  const auto message = [](const std::string& text) {
    try {
      parse_metrics_jsonl(text, "run/metrics.jsonl");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("{\"epoch\":1,\"train_loss\":1}\n{oops\n"), "run/metrics.jsonl: line 2 is not valid JSON");
  EXPECT_EQ(message("{\"epoch\":1}\n"), "run/metrics.jsonl: line 1 lacks 'train_loss'");
  EXPECT_EQ(message("{\"epoch\":0,\"train_loss\":1}\n"), "run/metrics.jsonl: line 1: 'epoch' must be a whole number >= 1");
  EXPECT_EQ(message("[1,2]\n"), "run/metrics.jsonl: line 1 is not a JSON object");
  EXPECT_EQ(message("{\"epoch\":1,\"train_loss\":\"low\"}"), "run/metrics.jsonl: line 1: 'train_loss' is not a number");
}

TEST(NiceTicks, AreOneTwoOrFiveTimesAPowerOfTenAndCoverTheRange) {
  EXPECT_EQ(nice_ticks(0.93, 3.41, 6, false), (std::vector<double>{0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5}));
  EXPECT_EQ(nice_ticks(1, 20, 8, true), (std::vector<double>{0, 5, 10, 15, 20}));
  EXPECT_EQ(nice_ticks(1, 3, 8, true), (std::vector<double>{1, 2, 3})) << "epochs never get fractional ticks";
  const std::vector<double> ticks = nice_ticks(1.8137, 1.8139, 5, false);
  EXPECT_LE(ticks.front(), 1.8137);
  EXPECT_GE(ticks.back(), 1.8139);
  EXPECT_LE(ticks.size(), 7u);
  const std::vector<double> one = nice_ticks(2.0, 2.0, 6, false);
  EXPECT_LT(one.front(), 2.0) << "a single value is widened around it";
  EXPECT_GT(one.back(), 2.0);
}

TEST(NiceTicks, DecimalsShowEveryTickExactly) {
  EXPECT_EQ(tick_decimals(5.0), 0);
  EXPECT_EQ(tick_decimals(1.0), 0);
  EXPECT_EQ(tick_decimals(0.5), 1);
  EXPECT_EQ(tick_decimals(0.2), 1);
  EXPECT_EQ(tick_decimals(0.05), 2);
  EXPECT_EQ(tick_decimals(0.001), 3);
}

TEST(LossPlot, IsWellFormedXmlWithTitleAxesLabelsAndLegend) {
  LossPlotOptions options;
  options.title = "Loss of <run> & co";
  options.bits_axis = true;
  const std::string svg = loss_plot_svg(parse_metrics_jsonl(kMetrics, "m"), options);
  EXPECT_EQ(testing::xml_well_formed(svg), "") << svg;
  EXPECT_NE(svg.find("<title>Loss of &lt;run&gt; &amp; co</title>"), std::string::npos) << "the title is escaped";
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find(">loss (nats per character)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">bits per character</text>"), std::string::npos);
  EXPECT_NE(svg.find("best validation loss 1.3000 nats/char (1.876 bits/char) at epoch 4"), std::string::npos);
  const std::string legend = svg.substr(svg.find("<g class=\"legend\">"));
  EXPECT_NE(legend.find(">train loss</text>"), std::string::npos);
  EXPECT_NE(legend.find(">validation loss</text>"), std::string::npos);
  for (const char* tick : {">1.0</text>", ">1.5</text>", ">2.0</text>", ">1</text>", ">4</text>"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << "missing tick label " << tick;
  }
}

TEST(LossPlot, DrawsEachCurveAtTheLayoutsPixelsAndBreaksItAtAMissingValue) {
  const std::vector<MetricsRecord> records = parse_metrics_jsonl(kMetrics, "m");
  const LossPlotOptions options;
  const Chart chart = loss_chart(records, options);
  const ChartLayout layout = layout_chart(chart);
  const std::string svg = render_svg(chart);
  const std::vector<std::string> train = polylines_of(svg, "train loss");
  const std::vector<std::string> validation = polylines_of(svg, "validation loss");
  ASSERT_EQ(train.size(), 1u) << svg;
  ASSERT_EQ(validation.size(), 2u) << "the null at epoch 3 splits the validation curve\n" << svg;
  const auto expect_points = [&](const std::string& points, const std::vector<std::pair<double, double>>& data) {
    const auto parsed = parse_points(points);
    ASSERT_EQ(parsed.size(), data.size()) << points;
    for (size_t i = 0; i < data.size(); ++i) {
      // Coordinates are written with 2 decimals: 0.005 px is the rounding.
      EXPECT_NEAR(parsed[i].first, layout.px(data[i].first), 0.005) << "point " << i << " of " << points;
      EXPECT_NEAR(parsed[i].second, layout.py(data[i].second), 0.005) << "point " << i << " of " << points;
    }
  };
  expect_points(train[0], {{1, 2.0}, {2, 1.5}, {3, 1.2}, {4, 1.0}});
  expect_points(validation[0], {{1, 2.1}, {2, 1.6}});
  expect_points(validation[1], {{4, 1.3}});
  // Lower loss is higher on the page, and the curve spans the plot area's width.
  const auto points = parse_points(train[0]);
  EXPECT_GT(points[3].second, layout.top);
  EXPECT_LT(points[0].second, layout.bottom);
  EXPECT_LT(points[0].second, points[3].second) << "2.0 is drawn above 1.0";
  EXPECT_DOUBLE_EQ(layout.px(layout.x_min), layout.left);
  EXPECT_DOUBLE_EQ(layout.py(layout.y_min), layout.bottom);
  // One marker per finite point (4 + 3) plus the legend's two, and a ring on the best epoch.
  EXPECT_EQ(matches(svg, R"re(<circle (cx)=)re").size(), 9u);
  const std::vector<std::string> ring = matches(svg, R"re(<circle class="highlight" cx="([0-9.]+)")re");
  ASSERT_EQ(ring.size(), 1u);
  EXPECT_NEAR(std::stod(ring[0]), layout.px(4), 0.005);
}

TEST(LossPlot, WithoutValidationDrawsOnlyTheTrainCurve) {
  const std::string svg = loss_plot_svg(
      parse_metrics_jsonl("{\"epoch\":1,\"train_loss\":3.0,\"validation_loss\":null}\n", "m"), LossPlotOptions{});
  EXPECT_EQ(testing::xml_well_formed(svg), "");
  EXPECT_EQ(polylines_of(svg, "train loss").size(), 1u);
  EXPECT_EQ(svg.find("validation loss"), std::string::npos);
  EXPECT_NE(svg.find("1 epoch; last train loss 3.0000"), std::string::npos);
}

TEST(LossPlot, RefusesMetricsWithoutEpochs) {
  EXPECT_THROW(loss_plot_svg({}, LossPlotOptions{}), Error);
}

TEST(LossPlot, LaterRecordOfARepeatedEpochWins) {
  const Chart chart = loss_chart(
      parse_metrics_jsonl("{\"epoch\":2,\"train_loss\":9}\n{\"epoch\":1,\"train_loss\":3}\n{\"epoch\":2,\"train_loss\":2}\n", "m"),
      LossPlotOptions{});
  EXPECT_EQ(chart.series[0].x, (std::vector<double>{1, 2}));
  EXPECT_EQ(chart.series[0].y, (std::vector<double>{3, 2}));
}

TEST(XmlCheck, CatchesTheMistakesItIsMeantTo) {
  EXPECT_EQ(testing::xml_well_formed("<a x=\"1\"><b/>t &amp; u</a>"), "");
  EXPECT_NE(testing::xml_well_formed("<a><b></a>"), "");
  EXPECT_NE(testing::xml_well_formed("<a x=1/>"), "");
  EXPECT_NE(testing::xml_well_formed("<a>&nbsp;</a>"), "");
  EXPECT_NE(testing::xml_well_formed("<a>x < y</a>"), "");
  EXPECT_NE(testing::xml_well_formed("<a/><b/>"), "");
  EXPECT_NE(testing::xml_well_formed("<a x=\"1\" x=\"2\"/>"), "");
}

}  // namespace
}  // namespace charnn
