#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::common {

// Parses a Go duration ("2m0s", "1m30s", "500ms", "10s", "1h"), the form kubelet and
// cri-dockerd flags use. A bare "0" is zero. Negative or malformed values are INVALID_ARGUMENT.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

// Formats as Go does for whole seconds and above ("2m0s"); used in logs and verbose status.
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace dockershim::common
