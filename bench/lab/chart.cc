#include "chart.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

namespace dockershim::lab {

namespace {

constexpr uint32_t kPalette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728,
                                 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f};
constexpr uint32_t kInk = 0x222222, kMuted = 0x5a5a5a, kGrid = 0xe2e2e2, kWhite = 0xffffff;
constexpr const char* kFont = "sans-serif";  // fontconfig's choice: DejaVu Sans on Debian
constexpr double kTitleSize = 19, kSubtitleSize = 12.5, kLabelSize = 13, kTickSize = 12,
                 kValueSize = 11.5;
constexpr int kTicks = 5;

void setColor(cairo_t* cr, uint32_t c) {
  cairo_set_source_rgb(cr, ((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0,
                       (c & 0xff) / 255.0);
}

void setFont(cairo_t* cr, double size, bool bold) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double textWidth(cairo_t* cr, const std::string& s, double size, bool bold = false) {
  setFont(cr, size, bold);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

enum class Anchor { kStart, kMiddle, kEnd };

// Text with its baseline at y, placed at x by `anchor`; rotated by `angle` radians about (x, y).
void text(cairo_t* cr, double x, double y, const std::string& s, double size, Anchor anchor,
          uint32_t color, bool bold = false, double angle = 0) {
  if (s.empty()) return;
  double w = textWidth(cr, s, size, bold);
  double dx = anchor == Anchor::kStart ? 0 : (anchor == Anchor::kMiddle ? -w / 2 : -w);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, dx, 0);
  setColor(cr, color);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

// A rectangle on whole pixels, so bar interiors are exactly their colour.
void box(cairo_t* cr, double x, double y, double w, double h, uint32_t color) {
  double x0 = std::round(x), y0 = std::round(y), x1 = std::round(x + w), y1 = std::round(y + h);
  if (x1 <= x0 || y1 <= y0) return;
  cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
  setColor(cr, color);
  cairo_fill(cr);
}

// A 1-pixel line along whole pixels (crisp grid lines and axes).
void hairline(cairo_t* cr, double x0, double y0, double x1, double y1, uint32_t color,
              double width = 1) {
  auto snap = [width](double v) { return std::floor(v) + (static_cast<int>(width) % 2 ? 0.5 : 0); };
  cairo_move_to(cr, x0 == x1 ? snap(x0) : x0, y0 == y1 ? snap(y0) : y0);
  cairo_line_to(cr, x0 == x1 ? snap(x1) : x1, y0 == y1 ? snap(y1) : y1);
  cairo_set_line_width(cr, width);
  setColor(cr, color);
  cairo_stroke(cr);
}

// 0 < step: 1, 2, 2.5, 5 × 10^k above max/ticks.
double niceMax(double max, int ticks) {
  if (!(max > 0)) return 1;
  double raw = max / ticks;
  double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * p >= raw) return m * p * ticks;
  }
  return 10 * p * ticks;
}

std::string number(double v) {
  char buf[32];
  if (v != 0 && (std::fabs(v) >= 1e5 || std::fabs(v) < 1e-3)) {
    std::snprintf(buf, sizeof buf, "%.2g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

struct Size {
  int width, height;
};

Size canvasSize(const Chart& c) {
  if (c.kind == Chart::Kind::kStacked) {
    return {880, 190 + 38 * static_cast<int>(std::max<size_t>(1, c.categories.size()))};
  }
  return {880, 500};
}

double maxOf(const Chart& c, bool stacked) {
  double max = 0;
  for (const auto& row : c.values) {
    double sum = 0;
    for (double v : row) {
      if (!std::isfinite(v)) continue;
      if (stacked) {
        sum += std::max(0.0, v);
      } else {
        max = std::max(max, v);
      }
    }
    max = std::max(max, sum);
  }
  return max;
}

// Title and subtitle; returns where the plot may begin.
double drawHeading(cairo_t* cr, const Chart& c, int width) {
  text(cr, 24, 34, c.title, kTitleSize, Anchor::kStart, kInk, true);
  if (c.subtitle.empty()) return 62;
  text(cr, 24, 56, c.subtitle, kSubtitleSize, Anchor::kStart, kMuted);
  (void)width;
  return 80;
}

// The legend at the right edge, from y down; returns its width.
double legendWidth(cairo_t* cr, const Chart& c) {
  double w = 0;
  for (const auto& s : c.series) w = std::max(w, textWidth(cr, s, kLabelSize));
  return c.series.empty() ? 0 : std::min(300.0, w + 44);
}

void drawLegend(cairo_t* cr, const Chart& c, double x, double y) {
  for (size_t s = 0; s < c.series.size(); ++s) {
    double row = y + static_cast<double>(s) * 24;
    box(cr, x, row, 13, 13, seriesColor(s));
    text(cr, x + 21, row + 11, c.series[s], kLabelSize, Anchor::kStart, kInk);
  }
}

void drawVertical(cairo_t* cr, const Chart& c, int width, int height) {
  double top = drawHeading(cr, c, width) + 18;
  double legend = legendWidth(cr, c);
  double x0 = 86, x1 = width - 24 - (legend > 0 ? legend + 16 : 0);
  double y0 = height - (c.kind == Chart::Kind::kLines ? 68 : 56), y1 = top;
  const double plotW = x1 - x0, plotH = y0 - y1;

  double maxValue = niceMax(maxOf(c, false), kTicks);
  auto yOf = [&](double v) { return y0 - std::clamp(v / maxValue, 0.0, 1.0) * plotH; };
  for (int t = 0; t <= kTicks; ++t) {
    double v = maxValue * t / kTicks;
    if (t > 0) hairline(cr, x0, yOf(v), x1, yOf(v), kGrid);
    text(cr, x0 - 8, yOf(v) + 4, number(v), kTickSize, Anchor::kEnd, kMuted);
  }
  text(cr, 22, y1 + plotH / 2, c.yLabel, kLabelSize, Anchor::kMiddle, kInk, false, -M_PI / 2);

  if (c.kind == Chart::Kind::kBars) {
    size_t groups = std::max<size_t>(1, c.categories.size());
    double groupW = plotW / static_cast<double>(groups);
    size_t n = std::max<size_t>(1, c.series.size());
    double barW = std::min(90.0, (groupW - 28) / static_cast<double>(n));
    for (size_t g = 0; g < c.categories.size(); ++g) {
      double gx =
          x0 + static_cast<double>(g) * groupW + (groupW - barW * static_cast<double>(n)) / 2;
      for (size_t s = 0; s < c.series.size() && g < c.values.size() && s < c.values[g].size();
           ++s) {
        double v = c.values[g][s];
        if (!std::isfinite(v)) continue;
        double x = gx + static_cast<double>(s) * barW;
        box(cr, x + 2, yOf(v), barW - 4, y0 - yOf(v), seriesColor(s));
        text(cr, x + barW / 2, yOf(v) - 6, number(v), kValueSize, Anchor::kMiddle, kInk);
      }
      text(cr, x0 + (static_cast<double>(g) + 0.5) * groupW, y0 + 22, c.categories[g], kLabelSize,
           Anchor::kMiddle, kInk);
    }
  } else {
    double xmin = c.xs.empty() ? 0 : *std::min_element(c.xs.begin(), c.xs.end());
    double xmax = c.xs.empty() ? 1 : *std::max_element(c.xs.begin(), c.xs.end());
    if (xmax <= xmin) xmax = xmin + 1;
    auto xOf = [&](double x) { return x0 + 16 + (x - xmin) / (xmax - xmin) * (plotW - 32); };
    for (double x : c.xs) {
      hairline(cr, xOf(x), y0, xOf(x), y0 + 5, kInk);
      text(cr, xOf(x), y0 + 20, number(x), kTickSize, Anchor::kMiddle, kMuted);
    }
    text(cr, x0 + plotW / 2, y0 + 46, c.xLabel, kLabelSize, Anchor::kMiddle, kInk);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (size_t s = 0; s < c.series.size() && s < c.values.size(); ++s) {
      const auto& ys = c.values[s];
      bool drawing = false;
      for (size_t i = 0; i < ys.size() && i < c.xs.size(); ++i) {
        if (!std::isfinite(ys[i])) {
          drawing = false;
          continue;
        }
        if (drawing) {
          cairo_line_to(cr, xOf(c.xs[i]), yOf(ys[i]));
        } else {
          cairo_move_to(cr, xOf(c.xs[i]), yOf(ys[i]));
          drawing = true;
        }
      }
      cairo_set_line_width(cr, 2.5);
      setColor(cr, seriesColor(s));
      cairo_stroke(cr);
      for (size_t i = 0; i < ys.size() && i < c.xs.size(); ++i) {
        if (!std::isfinite(ys[i])) continue;
        cairo_arc(cr, xOf(c.xs[i]), yOf(ys[i]), 4.5, 0, 2 * M_PI);
        cairo_fill(cr);
      }
    }
  }
  hairline(cr, x0, y1, x0, y0, kInk);
  hairline(cr, x0, y0, x1, y0, kInk);
  drawLegend(cr, c, width - 24 - legend, top);
}

void drawStacked(cairo_t* cr, const Chart& c, int width, int height) {
  double top = drawHeading(cr, c, width) + 44;  // room for the legend row
  double labels = 0;
  for (const auto& cat : c.categories) labels = std::max(labels, textWidth(cr, cat, kLabelSize));
  const double rowH = 38, barH = 24;
  double x0 = 24 + labels + 12, x1 = width - 90.0;
  double y0 = top + rowH * static_cast<double>(std::max<size_t>(1, c.categories.size())) + 6;
  const double plotW = x1 - x0;
  (void)height;

  // The legend across the top, left to right.
  double lx = x0;
  for (size_t s = 0; s < c.series.size(); ++s) {
    box(cr, lx, top - 34, 13, 13, seriesColor(s));
    text(cr, lx + 19, top - 23, c.series[s], kLabelSize, Anchor::kStart, kInk);
    lx += 19 + textWidth(cr, c.series[s], kLabelSize) + 22;
  }

  double maxValue = niceMax(maxOf(c, true), kTicks);
  auto xOf = [&](double v) { return x0 + std::clamp(v / maxValue, 0.0, 1.0) * plotW; };
  for (int t = 0; t <= kTicks; ++t) {
    double v = maxValue * t / kTicks;
    if (t > 0) hairline(cr, xOf(v), top - 6, xOf(v), y0, kGrid);
    text(cr, xOf(v), y0 + 18, number(v), kTickSize, Anchor::kMiddle, kMuted);
  }
  text(cr, x0 + plotW / 2, y0 + 40, c.xLabel, kLabelSize, Anchor::kMiddle, kInk);

  for (size_t i = 0; i < c.categories.size(); ++i) {
    double y = top + static_cast<double>(i) * rowH + (rowH - barH) / 2;
    text(cr, x0 - 10, y + barH / 2 + 4.5, c.categories[i], kLabelSize, Anchor::kEnd, kInk);
    double at = 0;
    if (i >= c.values.size()) continue;
    for (size_t s = 0; s < c.series.size() && s < c.values[i].size(); ++s) {
      double v = c.values[i][s];
      if (!std::isfinite(v) || v <= 0) continue;
      double xa = xOf(at), xb = xOf(at + v);
      box(cr, xa, y, xb - xa, barH, seriesColor(s));
      std::string label = number(v);
      if (textWidth(cr, label, kValueSize) + 8 < xb - xa) {
        text(cr, (xa + xb) / 2, y + barH / 2 + 4, label, kValueSize, Anchor::kMiddle, kWhite);
      }
      at += v;
    }
    text(cr, xOf(at) + 6, y + barH / 2 + 4, number(at), kValueSize, Anchor::kStart, kInk, true);
  }
  hairline(cr, x0, top - 6, x0, y0, kInk);
  hairline(cr, x0, y0, x1, y0, kInk);
}

void draw(cairo_t* cr, const Chart& c, Size size) {
  setColor(cr, kWhite);
  cairo_paint(cr);
  if (c.kind == Chart::Kind::kStacked) {
    drawStacked(cr, c, size.width, size.height);
  } else {
    drawVertical(cr, c, size.width, size.height);
  }
}

cairo_status_t appendTo(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;

// Draws onto `surface` and finishes it (vector surfaces write their stream then).
void drawOn(cairo_surface_t* surface, const Chart& c) {
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface));
    draw(cr.get(), c, canvasSize(c));
  }
  cairo_surface_finish(surface);
}

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

}  // namespace

uint32_t seriesColor(size_t i) { return kPalette[i % (sizeof kPalette / sizeof kPalette[0])]; }

std::string renderPng(const Chart& chart) {
  Size size = canvasSize(chart);
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, size.width, size.height));
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
    draw(cr.get(), chart, size);
  }
  std::string out;
  cairo_surface_write_to_png_stream(surface.get(), appendTo, &out);
  return out;
}

std::string renderSvg(const Chart& chart) {
  Size size = canvasSize(chart);
  std::string out;
  Surface surface(cairo_svg_surface_create_for_stream(appendTo, &out, size.width, size.height));
  drawOn(surface.get(), chart);
  surface.reset();
  // Cairo draws text as glyph outlines: the title goes in as text too, for screen readers and
  // search.
  if (auto open = out.find("<svg"); open != std::string::npos) {
    if (auto end = out.find('>', open); end != std::string::npos) {
      out.insert(end + 1, "\n<title>" + xmlEscape(chart.title) + "</title>");
    }
  }
  return out;
}

std::string renderPdf(const Chart& chart) {
  Size size = canvasSize(chart);
  std::string out;
  // Points, not pixels: the same drawing, 0.75 of the size on paper.
  Surface surface(
      cairo_pdf_surface_create_for_stream(appendTo, &out, size.width * 0.75, size.height * 0.75));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, chart.title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "dockershim-lab");
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
    cairo_scale(cr.get(), 0.75, 0.75);
    draw(cr.get(), chart, size);
  }
  cairo_surface_finish(surface.get());
  surface.reset();
  return out;
}

Raster rasterize(const Chart& chart) {
  Size size = canvasSize(chart);
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, size.width, size.height));
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
    draw(cr.get(), chart, size);
  }
  cairo_surface_flush(surface.get());
  Raster r;
  r.width = size.width;
  r.height = size.height;
  r.rgb.resize(static_cast<size_t>(size.width * size.height));
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  int stride = cairo_image_surface_get_stride(surface.get());
  for (int y = 0; y < size.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < size.width; ++x) {
      r.rgb[static_cast<size_t>(y * size.width + x)] = row[x] & 0xffffff;
    }
  }
  return r;
}

}  // namespace dockershim::lab
