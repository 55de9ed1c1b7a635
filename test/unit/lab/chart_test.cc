#include "chart.h"

#include <zlib.h>

#include <catch2/catch.hpp>

namespace dockershim::lab {
namespace {

uint32_t bigEndian(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | static_cast<uint8_t>(s[at + 3]);
}

// Decodes what Canvas::png() writes (one IDAT, filter 0): width, height and RGB rows.
struct Decoded {
  uint32_t width = 0, height = 0;
  std::string rgb;
  uint32_t pixel(uint32_t x, uint32_t y) const {
    size_t i = (y * (width * 3 + 1)) + 1 + x * 3;
    return (uint32_t{static_cast<uint8_t>(rgb[i])} << 16) |
           (uint32_t{static_cast<uint8_t>(rgb[i + 1])} << 8) | static_cast<uint8_t>(rgb[i + 2]);
  }
};

Decoded decode(const std::string& png) {
  Decoded d;
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  size_t at = 8;
  std::string idat;
  while (at + 12 <= png.size()) {
    uint32_t len = bigEndian(png, at);
    std::string type = png.substr(at + 4, 4);
    std::string data = png.substr(at + 8, len);
    uint32_t crc = bigEndian(png, at + 8 + len);
    uLong want = ::crc32(0L, reinterpret_cast<const Bytef*>(png.data() + at + 4), len + 4);
    CHECK(crc == want);
    if (type == "IHDR") {
      d.width = bigEndian(data, 0);
      d.height = bigEndian(data, 4);
      CHECK(data[8] == 8);
      CHECK(data[9] == 2);
    } else if (type == "IDAT") {
      idat += data;
    }
    at += 12 + len;
  }
  d.rgb.resize(static_cast<size_t>(d.height) * (d.width * 3 + 1));
  uLongf size = d.rgb.size();
  REQUIRE(::uncompress(reinterpret_cast<Bytef*>(d.rgb.data()), &size,
                       reinterpret_cast<const Bytef*>(idat.data()), idat.size()) == Z_OK);
  REQUIRE(size == d.rgb.size());
  return d;
}

TEST_CASE("lab: canvas draws rectangles, lines and the bitmap font", "[lab]") {
  Canvas c(40, 20);
  CHECK(c.pixel(0, 0) == 0xffffff);
  c.fillRect(2, 3, 4, 5, 0x112233);
  CHECK(c.pixel(2, 3) == 0x112233);
  CHECK(c.pixel(5, 7) == 0x112233);
  CHECK(c.pixel(6, 7) == 0xffffff);
  c.fillRect(-5, -5, 3, 3, 0);  // clipped, no crash
  c.line(0, 19, 39, 19, 0xff0000);
  CHECK(c.pixel(20, 19) == 0xff0000);
  Canvas t(12, 8);
  t.text(0, 0, "1", 0x000000, 1);
  // "1": row 0 is ..#.., row 6 is .###.
  CHECK(t.pixel(2, 0) == 0);
  CHECK(t.pixel(0, 0) == 0xffffff);
  CHECK(t.pixel(1, 6) == 0);
  CHECK(t.pixel(3, 6) == 0);
  CHECK(t.pixel(4, 6) == 0xffffff);
  CHECK(Canvas::textWidth("abc", 2) == 36);

  auto d = decode(c.png());
  CHECK(d.width == 40);
  CHECK(d.height == 20);
  CHECK(d.pixel(2, 3) == 0x112233);
  CHECK(d.pixel(20, 19) == 0xff0000);
  CHECK(d.pixel(30, 5) == 0xffffff);
}

TEST_CASE("lab: bar and line charts as SVG and PNG", "[lab]") {
  Chart bars;
  bars.title = "Daemon CPU";
  bars.yLabel = "cores";
  bars.series = {"dockershim+dockerd", "containerd"};
  bars.categories = {"105 pods"};
  bars.values = {{0.30, 0.10}};
  auto svg = renderSvg(bars);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find(">Daemon CPU</text>") != std::string::npos);
  CHECK(svg.find(">dockershim+dockerd</text>") != std::string::npos);
  CHECK(svg.find("fill=\"#1f77b4\"") != std::string::npos);
  CHECK(svg.find("fill=\"#ff7f0e\"") != std::string::npos);
  CHECK(svg.find(">0.3</text>") != std::string::npos);  // the bar's value
  CHECK(renderSvg(Chart{.title = "a<b"}).find(">a&lt;b</text>") != std::string::npos);

  auto png = decode(renderPng(bars));
  CHECK(png.width == 800);
  CHECK(png.height == 480);
  // The first bar is three times the second: count its colour along a column through each.
  auto height = [&](uint32_t color) {
    uint32_t best = 0;
    for (uint32_t x = 80; x < 570; ++x) {  // the plot, not the legend
      uint32_t n = 0;
      for (uint32_t y = 60; y < 420; ++y) n += png.pixel(x, y) == color;
      best = std::max(best, n);
    }
    return best;
  };
  uint32_t a = height(0x1f77b4), b = height(0xff7f0e);
  REQUIRE(b > 0);
  CHECK(static_cast<double>(a) / b == Approx(3.0).epsilon(0.05));

  Chart lines;
  lines.kind = Chart::Kind::kLines;
  lines.title = "CPU vs pods";
  lines.xLabel = "pods";
  lines.series = {"docker", "containerd"};
  lines.xs = {10, 35, 105, 250};
  lines.values = {{0.1, 0.2, 0.4, 0.9}, {0.05, 0.07, 0.1, 0.2}};
  auto lsvg = renderSvg(lines);
  CHECK(lsvg.find(">250</text>") != std::string::npos);
  CHECK(lsvg.find("stroke=\"#1f77b4\"") != std::string::npos);
  auto lpng = decode(renderPng(lines));
  CHECK(lpng.width == 800);
}

}  // namespace
}  // namespace dockershim::lab
