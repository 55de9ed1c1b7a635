#pragma once

#include <cstdint>
#include <string>
#include <vector>

// The lab's charts, drawn with Cairo (antialiased, fontconfig's sans-serif font) from one
// drawing routine into PNG, SVG and PDF:
//   bars     a value per runtime (series) per category, grouped, each bar labelled;
//   lines    a value per runtime against a number (pod count), with markers;
//   stacked  one horizontal bar per category split into segments (series), e.g. where one
//            call's time goes hop by hop, labelled with each segment and the total.
namespace dockershim::lab {

struct Chart {
  enum class Kind { kBars, kLines, kStacked };
  Kind kind = Kind::kBars;
  std::string title;
  std::string subtitle;                 // a line under the title (what was measured)
  std::string yLabel;                   // bars, lines: the value axis; stacked: unused
  std::string xLabel;                   // lines: the number axis; stacked: the value axis
  std::vector<std::string> series;      // legend: one per runtime, or per segment
  std::vector<std::string> categories;  // bars: groups along x; stacked: one bar each
  // bars, stacked: values[category][series]; lines: values[series][point], at xs[point].
  std::vector<std::vector<double>> values;
  std::vector<double> xs;
};

std::string renderSvg(const Chart& chart);
std::string renderPng(const Chart& chart);
std::string renderPdf(const Chart& chart);

// The chart's pixels as renderPng draws them (tests).
struct Raster {
  int width = 0, height = 0;
  std::vector<uint32_t> rgb;  // 0xRRGGBB, row by row
  uint32_t pixel(int x, int y) const { return rgb[static_cast<size_t>(y * width + x)]; }
};
Raster rasterize(const Chart& chart);

// The colour of series i (0xRRGGBB).
uint32_t seriesColor(size_t i);

}  // namespace dockershim::lab
