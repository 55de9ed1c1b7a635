#include "chart.h"

#include <cairo.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

namespace dockershim::lab {
namespace {

// The tallest (bars) or widest (stacked) run of `color` along any column or row.
int longestRun(const Raster& r, uint32_t color, bool vertical, int from, int to) {
  int best = 0;
  int outer = vertical ? r.width : r.height;
  for (int a = 0; a < outer; ++a) {
    int n = 0;
    for (int b = from; b < to; ++b) {
      uint32_t p = vertical ? r.pixel(a, b) : r.pixel(b, a);
      n += p == color;
    }
    best = std::max(best, n);
  }
  return best;
}

// Width and height a PNG declares, read back through Cairo.
std::pair<int, int> pngSize(const std::string& png) {
  struct Reader {
    const std::string& data;
    size_t at = 0;
  } reader{png};
  auto read = [](void* closure, unsigned char* out, unsigned int length) {
    auto* r = static_cast<Reader*>(closure);
    if (r->at + length > r->data.size()) return CAIRO_STATUS_READ_ERROR;
    std::copy_n(r->data.data() + r->at, length, reinterpret_cast<char*>(out));
    r->at += length;
    return CAIRO_STATUS_SUCCESS;
  };
  cairo_surface_t* s = cairo_image_surface_create_from_png_stream(read, &reader);
  REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
  std::pair<int, int> size{cairo_image_surface_get_width(s), cairo_image_surface_get_height(s)};
  cairo_surface_destroy(s);
  return size;
}

TEST_CASE("lab: bar charts in PNG, SVG and PDF from one drawing", "[lab]") {
  Chart bars;
  bars.title = "Daemon CPU";
  bars.subtitle = "105 pods, kubelet polling";
  bars.yLabel = "cores";
  bars.series = {"dockershim+dockerd", "containerd"};
  bars.categories = {"105 pods"};
  bars.values = {{0.30, 0.10}};

  auto png = renderPng(bars);
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(pngSize(png) == std::pair<int, int>{880, 500});
  auto svg = renderSvg(bars);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("<title>Daemon CPU</title>") != std::string::npos);
  CHECK(svg.find("width=\"880") != std::string::npos);
  CHECK(svg.find("glyph") != std::string::npos);  // text drawn from the font's outlines
  CHECK(renderSvg(Chart{.title = "a<b"}).find("<title>a&lt;b</title>") != std::string::npos);
  auto pdf = renderPdf(bars);
  CHECK(pdf.rfind("%PDF-", 0) == 0);
  CHECK(pdf.find("%%EOF") != std::string::npos);

  // The first bar is three times the second, each filled with its series' colour.
  auto r = rasterize(bars);
  CHECK(r.pixel(2, 2) == 0xffffff);
  int a = longestRun(r, seriesColor(0), true, 80, 460);
  int b = longestRun(r, seriesColor(1), true, 80, 460);
  REQUIRE(b > 20);
  CHECK(static_cast<double>(a) / b == Approx(3.0).epsilon(0.05));
  // Antialiased text: grey levels between ink and paper, not only the two.
  int greys = 0;
  for (uint32_t p : r.rgb) {
    uint32_t red = p >> 16;
    greys += (p & 0xffff) == (red << 8 | red) && red > 0x40 && red < 0xd0;
  }
  CHECK(greys > 50);
}

TEST_CASE("lab: line charts and the stacked hop chart", "[lab]") {
  Chart lines;
  lines.kind = Chart::Kind::kLines;
  lines.title = "CPU vs pods";
  lines.xLabel = "pods";
  lines.yLabel = "cores";
  lines.series = {"docker", "containerd"};
  lines.xs = {10, 35, 105, 250};
  lines.values = {{0.1, 0.2, 0.4, 0.9}, {0.05, 0.07, 0.1, 0.2}};
  auto r = rasterize(lines);
  // Beyond the legend's 13×13 swatch: four markers and the line joining them.
  for (size_t s = 0; s < 2; ++s) {
    int marked = 0;
    for (uint32_t p : r.rgb) marked += p == seriesColor(s);
    CHECK(marked > 600);
  }
  CHECK(renderSvg(lines).find("<title>CPU vs pods</title>") != std::string::npos);

  Chart hops;
  hops.kind = Chart::Kind::kStacked;
  hops.title = "Where a call's time goes";
  hops.xLabel = "ms";
  hops.series = {"transport", "dockershim", "Docker", "CNI"};
  hops.categories = {"ListContainers", "RunPodSandbox"};
  hops.values = {{0.2, 0.1, 0, 0}, {0.3, 4, 300, 150}};
  auto h = rasterize(hops);
  CHECK(h.height == 190 + 2 * 38);
  // RunPodSandbox's Docker segment is twice its CNI segment.
  int docker = longestRun(h, seriesColor(2), false, 0, h.width);
  int cni = longestRun(h, seriesColor(3), false, 0, h.width);
  REQUIRE(cni > 20);
  CHECK(static_cast<double>(docker) / cni == Approx(2.0).epsilon(0.05));
  CHECK(pngSize(renderPng(hops)) == std::pair<int, int>{880, 266});

  // Nothing to draw is no crash.
  CHECK_FALSE(renderPng(Chart{}).empty());
  CHECK_FALSE(renderPng(Chart{.kind = Chart::Kind::kStacked}).empty());
  Chart odd;
  odd.kind = Chart::Kind::kLines;
  odd.series = {"a"};
  odd.values = {{std::nan(""), std::numeric_limits<double>::infinity()}};
  odd.xs = {1};
  CHECK_FALSE(renderSvg(odd).empty());
}

}  // namespace
}  // namespace dockershim::lab
