#pragma once

#include <cstdint>
#include <string>
#include <vector>

// The lab's charts, drawn by the lab itself as SVG and as PNG (a small rasteriser with a 5×7
// bitmap font; zlib for PNG's deflate): grouped bars (a value per runtime per category) and
// lines (a value per runtime against a number, e.g. pod count).
namespace dockershim::lab {

struct Chart {
  enum class Kind { kBars, kLines };
  Kind kind = Kind::kBars;
  std::string title;
  std::string yLabel;
  std::string xLabel;                   // lines only
  std::vector<std::string> series;      // legend: one per runtime
  std::vector<std::string> categories;  // bars: groups along the x axis
  // bars: values[category][series]; lines: values[series][point], at xs[point].
  std::vector<std::vector<double>> values;
  std::vector<double> xs;
};

std::string renderSvg(const Chart& chart);
std::string renderPng(const Chart& chart);

// The drawing surface behind renderPng, exposed for tests.
class Canvas {
 public:
  Canvas(int width, int height, uint32_t background = 0xffffff);
  int width() const { return width_; }
  int height() const { return height_; }
  uint32_t pixel(int x, int y) const;  // 0xRRGGBB
  void fillRect(int x, int y, int w, int h, uint32_t color);
  void line(int x0, int y0, int x1, int y1, uint32_t color, int thickness = 1);
  // Text in the 5×7 font scaled by `scale`; (x, y) is the top-left corner.
  void text(int x, int y, const std::string& s, uint32_t color, int scale);
  static int textWidth(const std::string& s, int scale) {
    return static_cast<int>(s.size()) * 6 * scale;
  }
  std::string png() const;

 private:
  void set(int x, int y, uint32_t color);
  int width_, height_;
  std::vector<uint8_t> rgb_;
};

}  // namespace dockershim::lab
