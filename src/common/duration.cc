#include "common/duration.h"

#include <cmath>
#include <cstdlib>

namespace dockershim::common {

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  auto bad = [&] {
    return Status(Code::kInvalidArgument, "invalid duration \"" + std::string(text) +
                                              "\" (expected e.g. 2m0s, 90s, 500ms)");
  };
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return bad();
  double totalMs = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t i = 0;
    while (i < rest.size() && ((rest[i] >= '0' && rest[i] <= '9') || rest[i] == '.')) ++i;
    if (i == 0) return bad();
    std::string number(rest.substr(0, i));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return bad();
    rest.remove_prefix(i);
    size_t u = 0;
    while (u < rest.size() && !((rest[u] >= '0' && rest[u] <= '9') || rest[u] == '.')) ++u;
    std::string_view unit = rest.substr(0, u);
    rest.remove_prefix(u);
    double scale;
    if (unit == "h")
      scale = 3600e3;
    else if (unit == "m")
      scale = 60e3;
    else if (unit == "s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e-3;
    else if (unit == "ns")
      scale = 1e-6;
    else
      return bad();
    totalMs += value * scale;
  }
  if (!std::isfinite(totalMs) || totalMs > 1e15) return bad();
  return std::chrono::milliseconds(static_cast<long long>(std::llround(totalMs)));
}

std::string formatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  long long s = ms / 1000;
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s >= 60) out += std::to_string((s % 3600) / 60) + "m";
  out += std::to_string(s % 60);
  if (ms % 1000) out += "." + std::to_string(1000 + ms % 1000).substr(1);
  return out + "s";
}

}  // namespace dockershim::common
