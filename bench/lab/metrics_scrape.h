#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "dockershim/status.h"

// Prometheus text from dockershim's metrics endpoint, for the lab's hop breakdown.
namespace dockershim::lab {

using Samples = std::map<std::string, double>;  // "name{labels}" → value

// The samples of a text exposition (comments and malformed lines skipped).
Samples parseExposition(std::string_view text);
// Sum of every series of metric `name` whose labels contain `labelPart` (empty: all).
double sumOf(const Samples& samples, std::string_view name, std::string_view labelPart = {});

// GET http://<hostPort>/metrics ("127.0.0.1:10260"), bounded by `timeout`.
Result<Samples> scrapeMetrics(const std::string& hostPort,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));
// Whether hostPort serves dockershim's metrics (dockershim_build_info is there).
bool isDockershimMetrics(const std::string& hostPort);

}  // namespace dockershim::lab
