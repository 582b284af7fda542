// SVG line charts; see chart.h.
#include "charnn/report/chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace charnn {

namespace {

// Rough advance of one character of 12px sans-serif: enough to leave room for labels.
constexpr double kCharWidth = 7.0;
constexpr size_t kMaxMarkers = 120;  // beyond this many points the markers become a smear

double tick_step(const std::vector<double>& ticks) { return ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0; }

std::string format_tick(double value, int decimals) {
  if (std::fabs(value) < 1e-12) value = 0.0;  // no "-0.00"
  return fmt::format("{:.{}f}", value, decimals);
}

size_t widest_label(const std::vector<double>& ticks, int decimals) {
  size_t widest = 0;
  for (double t : ticks) widest = std::max(widest, format_tick(t, decimals).size());
  return widest;
}

bool has_finite_point(const ChartSeries& s) {
  for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) return true;
  }
  return false;
}

void append_text(std::string& svg, double x, double y, const std::string& anchor, const std::string& text,
                 const std::string& extra = "") {
  svg += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" text-anchor="{}"{}>{}</text>)", x, y, anchor, extra,
                     xml_escape(text));
  svg += '\n';
}

void append_axes(std::string& svg, const Chart& chart, const ChartLayout& l) {
  svg += "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n";
  for (double t : l.y_ticks) {
    svg += fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}"/>)", l.left, l.py(t), l.right, l.py(t));
    svg += '\n';
  }
  for (double t : l.x_ticks) {
    svg += fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}"/>)", l.px(t), l.top, l.px(t), l.bottom);
    svg += '\n';
  }
  svg += "</g>\n<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\">\n";
  svg += fmt::format(R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="none"/>)", l.left, l.top,
                     l.right - l.left, l.bottom - l.top);
  svg += '\n';
  for (double t : l.y_ticks) {
    svg += fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}"/>)", l.left - 5, l.py(t), l.left, l.py(t));
  }
  for (double t : l.x_ticks) {
    svg += fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}"/>)", l.px(t), l.bottom, l.px(t),
                       l.bottom + 5);
  }
  for (double t : l.right_ticks) {
    const double y = l.py(t / chart.right_scale);
    svg += fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}"/>)", l.right, y, l.right + 5, y);
  }
  svg += "\n</g>\n<g class=\"tick-labels\" fill=\"#333\">\n";
  for (double t : l.y_ticks) append_text(svg, l.left - 8, l.py(t) + 4, "end", format_tick(t, l.y_decimals));
  for (double t : l.x_ticks) append_text(svg, l.px(t), l.bottom + 19, "middle", format_tick(t, l.x_decimals));
  for (double t : l.right_ticks) {
    append_text(svg, l.right + 8, l.py(t / chart.right_scale) + 4, "start", format_tick(t, l.right_decimals));
  }
  svg += "</g>\n<g class=\"axis-labels\" fill=\"#111\" font-size=\"13\">\n";
  const double middle_y = (l.top + l.bottom) / 2;
  append_text(svg, (l.left + l.right) / 2, l.bottom + 42, "middle", chart.x_label);
  append_text(svg, -middle_y, 18, "middle", chart.y_label, R"x( transform="rotate(-90)")x");
  if (!chart.right_label.empty()) {
    append_text(svg, middle_y, -(chart.width - 14.0), "middle", chart.right_label, R"x( transform="rotate(90)")x");
  }
  svg += "</g>\n";
}

void append_series(std::string& svg, const ChartSeries& s, const ChartLayout& l) {
  svg += fmt::format("<g class=\"series\" data-series=\"{}\">\n", xml_escape(s.label));
  const size_t n = std::min(s.x.size(), s.y.size());
  std::vector<std::string> runs(1);  // "x,y" lists of the unbroken stretches
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
      if (!runs.back().empty()) runs.emplace_back();
      continue;
    }
    if (!runs.back().empty()) runs.back() += ' ';
    runs.back() += fmt::format("{:.2f},{:.2f}", l.px(s.x[i]), l.py(s.y[i]));
  }
  for (const std::string& points : runs) {
    if (points.empty()) continue;
    svg += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round" points="{}"/>)",
                       xml_escape(s.color), points);
    svg += '\n';
  }
  for (size_t i = 0; i < n && n <= kMaxMarkers; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
    svg += fmt::format(R"(<circle cx="{:.2f}" cy="{:.2f}" r="3" fill="{}"/>)", l.px(s.x[i]), l.py(s.y[i]),
                       xml_escape(s.color));
    svg += '\n';
  }
  for (size_t i : s.highlighted) {
    if (i >= n || !std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
    svg += fmt::format(R"(<circle class="highlight" cx="{:.2f}" cy="{:.2f}" r="7" fill="none" stroke="{}" stroke-width="2"/>)",
                       l.px(s.x[i]), l.py(s.y[i]), xml_escape(s.color));
    svg += '\n';
  }
  svg += "</g>\n";
}

void append_legend(std::string& svg, const Chart& chart, const ChartLayout& l) {
  svg += "<g class=\"legend\">\n";
  double x = l.left;
  const double y = l.top - 14;
  for (const ChartSeries& s : chart.series) {
    if (!has_finite_point(s)) continue;
    const std::string color = xml_escape(s.color);
    svg += fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}" stroke="{}" stroke-width="2"/>)", x, y,
                       x + 24, y, color);
    svg += fmt::format(R"(<circle cx="{:.2f}" cy="{:.2f}" r="3" fill="{}"/>)", x + 12, y, color);
    append_text(svg, x + 30, y + 4, "start", s.label);
    x += 30 + kCharWidth * static_cast<double>(s.label.size()) + 24;
  }
  svg += "</g>\n";
}

}  // namespace

int tick_decimals(double step) {
  if (!(step > 0) || step >= 1.0) return 0;
  return std::min(12, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

std::vector<double> nice_ticks(double lo, double hi, int target, bool integers) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= std::fabs(hi) * 1e-12) {  // one value: widen around it
    const double half = integers ? 1.0 : (lo != 0.0 ? std::fabs(lo) * 0.05 : 0.5);
    lo -= half;
    hi += half;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * power;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw * (1 - 1e-9)) {
      step = m * power;
      break;
    }
  }
  if (integers) step = std::max(1.0, std::round(step));
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  std::vector<double> ticks;
  for (double i = first; i <= last; i += 1.0) ticks.push_back(i * step);  // i * step: no accumulated error
  return ticks;
}

ChartLayout layout_chart(const Chart& chart) {
  ChartLayout l;
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  for (const ChartSeries& s : chart.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
    }
  }
  if (!std::isfinite(x_lo)) {  // nothing to draw: an empty frame
    x_lo = y_lo = 0.0;
    x_hi = y_hi = 1.0;
  }
  l.x_ticks = nice_ticks(x_lo, x_hi, 8, chart.integer_x);
  l.y_ticks = nice_ticks(y_lo, y_hi, 6, false);
  l.x_min = l.x_ticks.front(), l.x_max = l.x_ticks.back();
  l.y_min = l.y_ticks.front(), l.y_max = l.y_ticks.back();
  l.x_decimals = tick_decimals(tick_step(l.x_ticks));
  l.y_decimals = tick_decimals(tick_step(l.y_ticks));
  double right_margin = 24;
  if (!chart.right_label.empty()) {
    const double lo = l.y_min * chart.right_scale, hi = l.y_max * chart.right_scale;
    const std::vector<double> candidates = nice_ticks(lo, hi, 6, false);
    const double tolerance = (hi - lo) * 1e-9;
    for (double t : candidates) {
      if (t >= lo - tolerance && t <= hi + tolerance) l.right_ticks.push_back(t);
    }
    l.right_decimals = tick_decimals(tick_step(candidates));
    right_margin = 40 + kCharWidth * static_cast<double>(widest_label(l.right_ticks, l.right_decimals));
  }
  l.left = 40 + kCharWidth * static_cast<double>(widest_label(l.y_ticks, l.y_decimals));
  l.right = chart.width - right_margin;
  l.top = chart.subtitle.empty() ? 66 : 84;  // title, subtitle, then the legend row
  l.bottom = chart.height - 56.0;
  return l;
}

std::string render_svg(const Chart& chart) {
  const ChartLayout l = layout_chart(chart);
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">)",
      chart.width, chart.height);
  svg += fmt::format("\n<title>{}</title>\n", xml_escape(chart.title));
  svg += R"(<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>)";
  svg += '\n';
  append_text(svg, chart.width / 2.0, 24, "middle", chart.title, R"( font-size="16" font-weight="bold" fill="#111")");
  if (!chart.subtitle.empty()) append_text(svg, chart.width / 2.0, 44, "middle", chart.subtitle, R"( fill="#555")");
  append_axes(svg, chart, l);
  for (const ChartSeries& s : chart.series) {
    if (has_finite_point(s)) append_series(svg, s, l);
  }
  append_legend(svg, chart, l);
  svg += "</svg>\n";
  return svg;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace charnn
