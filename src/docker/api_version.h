#pragma once

#include <string>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::docker {

// The newest Docker API version this client knows the history of (Docker 29.6, API 1.55).
// Every request is written for the version negotiated, which is never newer than this; each
// change in moby's API version history that touches a field dockershim sends or reads is
// handled on both of its sides (the `kApi…` constants below and in translate/ name them).
inline constexpr std::string_view kNewestApiVersion = "1.55";
// Docker Engine 1.12; older daemons lack fields every CRI call relies on.
inline constexpr std::string_view kOldestApiVersion = "1.24";

// Docker API: GET /images/json takes the `reference` filter from 1.25; 1.24 has `filter`.
inline constexpr std::string_view kApiImageReferenceFilter = "1.25";
// Docker API: the container list's `status` filter knows "removing" from 1.25.
inline constexpr std::string_view kApiRemovingStatusFilter = "1.25";
// Docker API: GET /containers/{id}/stats takes `one-shot` from 1.41.
inline constexpr std::string_view kApiStatsOneShot = "1.41";
// Docker API: read-only binds become recursively read-only (where the kernel can) from 1.44,
// which also brings BindOptions.ReadOnlyNonRecursive/ReadOnlyForceRecursive.
inline constexpr std::string_view kApiRecursiveReadOnly = "1.44";

// Compares "1.41" style versions numerically: <0, 0, >0.
int compareApiVersions(std::string_view a, std::string_view b);

// True when `negotiated` is `min` or newer. An empty `negotiated` (not negotiated yet) counts as
// kNewestApiVersion, as Docker reads an unversioned path as its own newest version.
bool apiAtLeast(std::string_view negotiated, std::string_view min);

// Picks the highest version both sides speak: the lower of the daemon's ApiVersion and
// kNewestApiVersion. FAILED_PRECONDITION, with a message naming the versions, when there is
// none: a daemon older than kOldestApiVersion, or one whose MinAPIVersion (Docker 25+ raised
// it, and an operator can raise it further with DOCKER_MIN_API_VERSION) is newer than
// kNewestApiVersion. `daemonMinApiVersion` may be empty (daemons before API 1.25 omit it).
Result<std::string> negotiateApiVersion(std::string_view daemonApiVersion,
                                        std::string_view daemonMinApiVersion = "");

// Docker's refusal of a request's API version (HTTP 400 "client version 1.41 is too old.
// Minimum supported API version is 1.44, …", "… is too new. Maximum supported API version is
// …", or Docker 1.12's "client is newer than server …"): the daemon changed under us (restarted
// with another version or minimum).
bool isApiVersionRefusal(int httpStatus, std::string_view dockerMessage);

// The range this client speaks, for messages: "1.24 to 1.55".
std::string supportedApiRange();

}  // namespace dockershim::docker
