#pragma once

#include <string>
#include <string_view>

#include "dockershim/docker_client.h"
#include "dockershim/status.h"

namespace dockershim::docker {

// The message of a Docker error body ({"message": "..."}), or the trimmed body itself.
std::string dockerMessage(std::string_view body);

// The one place an HTTP answer from Docker becomes a Status. 2xx and 304 are OK. A 5xx is
// classified by its text (statusFromMessage) only for Verb::kPull.
Status statusFromHttp(int httpStatus, std::string_view body, Verb verb);

// Errors Docker reports inside a 200 stream (pull progress, import) or as a 500 message carry
// only text; this classifies the text (registry auth, missing image) and falls back to UNKNOWN.
Status statusFromMessage(std::string_view message, Code fallback = Code::kUnknown);

}  // namespace dockershim::docker
