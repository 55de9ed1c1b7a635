#include "chart.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "font5x7.h"

namespace dockershim::lab {

namespace {

constexpr int kWidth = 800;
constexpr int kHeight = 480;
constexpr int kLeft = 80, kRight = 230, kTop = 60, kBottom = 60;
constexpr uint32_t kPalette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b};
constexpr uint32_t kInk = 0x222222, kGrid = 0xdddddd;

uint32_t colorOf(size_t i) { return kPalette[i % (sizeof kPalette / sizeof kPalette[0])]; }

// What both backends draw.
struct Prim {
  enum class Kind { kRect, kLine, kText } kind;
  int x0, y0, x1, y1;  // rect: x, y, w, h; line: ends; text: anchor point (x1: -1/0/1 = start,
                       // middle, end)
  uint32_t color;
  int size;  // line thickness or text scale (2: labels, 3: title)
  std::string text;
};

// 0 < step: 1, 2, 2.5, 5 × 10^k above max/ticks.
double niceMax(double max, int ticks) {
  if (max <= 0) return 1;
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

std::vector<Prim> layout(const Chart& c) {
  std::vector<Prim> out;
  auto rect = [&](int x, int y, int w, int h, uint32_t color) {
    out.push_back({Prim::Kind::kRect, x, y, w, h, color, 0, {}});
  };
  auto line = [&](int x0, int y0, int x1, int y1, uint32_t color, int t) {
    out.push_back({Prim::Kind::kLine, x0, y0, x1, y1, color, t, {}});
  };
  auto text = [&](int x, int y, const std::string& s, int anchor, int scale, uint32_t color) {
    out.push_back({Prim::Kind::kText, x, y, anchor, 0, color, scale, s});
  };
  const int plotW = kWidth - kLeft - kRight, plotH = kHeight - kTop - kBottom;
  const int x0 = kLeft, y0 = kTop + plotH;  // the origin, bottom-left
  text(kWidth / 2, 14, c.title, 0, 3, kInk);
  text(kLeft, kTop - 24, c.yLabel, -1, 2, kInk);

  double max = 0;
  for (const auto& row : c.values) {
    for (double v : row) {
      if (std::isfinite(v)) max = std::max(max, v);
    }
  }
  constexpr int kTicks = 5;
  double top = niceMax(max, kTicks);
  auto yOf = [&](double v) {
    return y0 - static_cast<int>(std::lround(std::clamp(v / top, 0.0, 1.0) * plotH));
  };
  for (int t = 0; t <= kTicks; ++t) {
    double v = top * t / kTicks;
    int y = yOf(v);
    line(x0, y, x0 + plotW, y, kGrid, 1);
    text(x0 - 8, y - 7, number(v), 1, 2, kInk);
  }
  line(x0, kTop, x0, y0, kInk, 2);
  line(x0, y0, x0 + plotW, y0, kInk, 2);

  if (c.kind == Chart::Kind::kBars) {
    size_t groups = std::max<size_t>(1, c.categories.size());
    int groupW = plotW / static_cast<int>(groups);
    size_t nSeries = std::max<size_t>(1, c.series.size());
    int barW = std::max(4, (groupW - 24) / static_cast<int>(nSeries));
    for (size_t g = 0; g < c.categories.size(); ++g) {
      int gx = x0 + static_cast<int>(g) * groupW + 12;
      for (size_t s = 0; s < c.series.size() && g < c.values.size() && s < c.values[g].size();
           ++s) {
        double v = c.values[g][s];
        if (!std::isfinite(v)) continue;
        int y = yOf(v);
        int x = gx + static_cast<int>(s) * barW;
        rect(x, y, barW - 4, y0 - y, colorOf(s));
        text(x + (barW - 4) / 2, y - 16, number(v), 0, 1, kInk);
      }
      text(x0 + static_cast<int>(g) * groupW + groupW / 2, y0 + 12, c.categories[g], 0, 2, kInk);
    }
  } else {
    double xmin = c.xs.empty() ? 0 : *std::min_element(c.xs.begin(), c.xs.end());
    double xmax = c.xs.empty() ? 1 : *std::max_element(c.xs.begin(), c.xs.end());
    if (xmax <= xmin) xmax = xmin + 1;
    auto xOf = [&](double x) {
      return x0 + 10 + static_cast<int>(std::lround((x - xmin) / (xmax - xmin) * (plotW - 20)));
    };
    for (double x : c.xs) {
      line(xOf(x), y0, xOf(x), y0 + 6, kInk, 1);
      text(xOf(x), y0 + 12, number(x), 0, 2, kInk);
    }
    text(x0 + plotW / 2, y0 + 34, c.xLabel, 0, 2, kInk);
    for (size_t s = 0; s < c.series.size() && s < c.values.size(); ++s) {
      const auto& ys = c.values[s];
      int px = -1, py = -1;
      for (size_t i = 0; i < ys.size() && i < c.xs.size(); ++i) {
        if (!std::isfinite(ys[i])) {
          px = -1;
          continue;
        }
        int x = xOf(c.xs[i]), y = yOf(ys[i]);
        if (px >= 0) line(px, py, x, y, colorOf(s), 3);
        rect(x - 4, y - 4, 9, 9, colorOf(s));
        px = x;
        py = y;
      }
    }
  }
  // Legend, right of the plot.
  for (size_t s = 0; s < c.series.size(); ++s) {
    int y = kTop + 10 + static_cast<int>(s) * 26;
    rect(kWidth - kRight + 16, y, 14, 14, colorOf(s));
    // A long name in the small size rather than cut at the edge.
    int scale = Canvas::textWidth(c.series[s], 2) <= kRight - 44 ? 2 : 1;
    text(kWidth - kRight + 38, y + (scale == 1 ? 4 : 0), c.series[s], -1, scale, kInk);
  }
  return out;
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

std::string hex(uint32_t color) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%06x", color & 0xffffff);
  return buf;
}

void putBigEndian(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void pngChunk(std::string& out, const char* type, const std::string& data) {
  putBigEndian(out, static_cast<uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  uLong crc =
      ::crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  putBigEndian(out, static_cast<uint32_t>(crc));
}

}  // namespace

std::string renderSvg(const Chart& chart) {
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) +
                    "\" height=\"" + std::to_string(kHeight) + "\" viewBox=\"0 0 " +
                    std::to_string(kWidth) + " " + std::to_string(kHeight) +
                    "\" font-family=\"monospace\">\n<rect width=\"100%\" height=\"100%\" "
                    "fill=\"#ffffff\"/>\n";
  for (const auto& p : layout(chart)) {
    switch (p.kind) {
      case Prim::Kind::kRect:
        out += "<rect x=\"" + std::to_string(p.x0) + "\" y=\"" + std::to_string(p.y0) +
               "\" width=\"" + std::to_string(p.x1) + "\" height=\"" + std::to_string(p.y1) +
               "\" fill=\"" + hex(p.color) + "\"/>\n";
        break;
      case Prim::Kind::kLine:
        out += "<line x1=\"" + std::to_string(p.x0) + "\" y1=\"" + std::to_string(p.y0) +
               "\" x2=\"" + std::to_string(p.x1) + "\" y2=\"" + std::to_string(p.y1) +
               "\" stroke=\"" + hex(p.color) + "\" stroke-width=\"" + std::to_string(p.size) +
               "\"/>\n";
        break;
      case Prim::Kind::kText: {
        const char* anchor = p.x1 < 0 ? "start" : (p.x1 > 0 ? "end" : "middle");
        int px = p.size * 7;  // the PNG font's cap height is 7 × scale
        out += "<text x=\"" + std::to_string(p.x0) + "\" y=\"" + std::to_string(p.y0 + px) +
               "\" font-size=\"" + std::to_string(px + p.size * 2) + "\" text-anchor=\"" + anchor +
               "\" fill=\"" + hex(p.color) + "\">" + xmlEscape(p.text) + "</text>\n";
        break;
      }
    }
  }
  out += "</svg>\n";
  return out;
}

std::string renderPng(const Chart& chart) {
  Canvas canvas(kWidth, kHeight);
  for (const auto& p : layout(chart)) {
    switch (p.kind) {
      case Prim::Kind::kRect:
        canvas.fillRect(p.x0, p.y0, p.x1, p.y1, p.color);
        break;
      case Prim::Kind::kLine:
        canvas.line(p.x0, p.y0, p.x1, p.y1, p.color, p.size);
        break;
      case Prim::Kind::kText: {
        int w = Canvas::textWidth(p.text, p.size);
        int x = p.x1 < 0 ? p.x0 : (p.x1 > 0 ? p.x0 - w : p.x0 - w / 2);
        canvas.text(x, p.y0, p.text, p.color, p.size);
        break;
      }
    }
  }
  return canvas.png();
}

Canvas::Canvas(int width, int height, uint32_t background)
    : width_(std::max(1, width)),
      height_(std::max(1, height)),
      rgb_(static_cast<size_t>(width_) * static_cast<size_t>(height_) * 3) {
  fillRect(0, 0, width_, height_, background);
}

void Canvas::set(int x, int y, uint32_t color) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x)) * 3;
  rgb_[i] = static_cast<uint8_t>(color >> 16);
  rgb_[i + 1] = static_cast<uint8_t>(color >> 8);
  rgb_[i + 2] = static_cast<uint8_t>(color);
}

uint32_t Canvas::pixel(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return 0;
  size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x)) * 3;
  return (uint32_t{rgb_[i]} << 16) | (uint32_t{rgb_[i + 1]} << 8) | rgb_[i + 2];
}

void Canvas::fillRect(int x, int y, int w, int h, uint32_t color) {
  for (int yy = std::max(0, y); yy < std::min(height_, y + h); ++yy) {
    for (int xx = std::max(0, x); xx < std::min(width_, x + w); ++xx) set(xx, yy, color);
  }
}

void Canvas::line(int x0, int y0, int x1, int y1, uint32_t color, int thickness) {
  // Bresenham, each point a thickness × thickness square.
  int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
  int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  int half = (thickness - 1) / 2;
  for (;;) {
    fillRect(x0 - half, y0 - half, thickness, thickness, color);
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void Canvas::text(int x, int y, const std::string& s, uint32_t color, int scale) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch < 32 || ch > 126) ch = '?';
    const uint8_t* glyph = kFont5x7[ch - 32];
    int gx = x + static_cast<int>(i) * 6 * scale;
    for (int row = 0; row < 7; ++row) {
      for (int col = 0; col < 5; ++col) {
        if (glyph[row] & (0x10 >> col)) {
          fillRect(gx + col * scale, y + row * scale, scale, scale, color);
        }
      }
    }
  }
}

std::string Canvas::png() const {
  std::string raw;
  raw.reserve(rgb_.size() + static_cast<size_t>(height_));
  for (int y = 0; y < height_; ++y) {
    raw += '\0';  // filter type: none
    raw.append(reinterpret_cast<const char*>(rgb_.data()) +
                   static_cast<size_t>(y) * static_cast<size_t>(width_) * 3,
               static_cast<size_t>(width_) * 3);
  }
  uLongf size = ::compressBound(static_cast<uLong>(raw.size()));
  std::string deflated(size, '\0');
  ::compress2(reinterpret_cast<Bytef*>(deflated.data()), &size,
              reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 9);
  deflated.resize(size);

  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  putBigEndian(ihdr, static_cast<uint32_t>(width_));
  putBigEndian(ihdr, static_cast<uint32_t>(height_));
  ihdr += '\x08';                // bit depth
  ihdr += '\x02';                // colour type: RGB
  ihdr += std::string(3, '\0');  // deflate, adaptive filters, no interlace
  pngChunk(out, "IHDR", ihdr);
  pngChunk(out, "IDAT", deflated);
  pngChunk(out, "IEND", "");
  return out;
}

}  // namespace dockershim::lab
