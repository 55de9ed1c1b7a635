#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dockershim::docker {

// Percent-encodes everything but RFC 3986 unreserved characters (query values).
std::string urlEncode(std::string_view s);

// "?k1=v1&k2=v2" with encoded values; empty pairs are kept (Docker reads "tag=" as empty).
std::string buildQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace dockershim::docker
