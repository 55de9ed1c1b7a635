#pragma once

#include <string>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::docker {

// The newest Docker API version whose request fields this client writes. Everything sent must
// stay valid for the version negotiated, which is never newer than this.
inline constexpr std::string_view kNewestApiVersion = "1.41";
// Docker Engine 1.12; older daemons lack fields every CRI call relies on.
inline constexpr std::string_view kOldestApiVersion = "1.24";

// Compares "1.41" style versions numerically: <0, 0, >0.
int compareApiVersions(std::string_view a, std::string_view b);

// Picks the lower of the daemon's ApiVersion and kNewestApiVersion; refuses daemons older than
// kOldestApiVersion with FAILED_PRECONDITION and a message naming both versions.
Result<std::string> negotiateApiVersion(std::string_view daemonApiVersion);

}  // namespace dockershim::docker
