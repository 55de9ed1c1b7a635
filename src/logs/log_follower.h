#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::logs {

// Where a followed container's log comes from (cri/ implements it with Docker's logs API).
struct FollowSource {
  // Streams the container's log with timestamps from `sinceNanos` (Unix nanoseconds, 0 for the
  // beginning), following it, handing the body to `onBytes` as it arrives. Returns when the
  // stream ends (OK: Docker ends it once a stopped container's log is all sent), when it fails,
  // or when `cancel` was called. NOT_FOUND once the container is gone; other codes but
  // UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED and DATA_LOSS mean Docker cannot give this
  // container's log back (its driver does not support reading).
  std::function<Status(int64_t sinceNanos, const std::function<Status(std::string_view)>& onBytes)>
      follow;
  // Ends a follow() in progress from another thread, and every later one at once.
  std::function<void()> cancel;
  // Whether the container still runs, asked when a stream ended: a running container's stream
  // that ended was cut (Docker restarted) and is opened again.
  std::function<Result<bool>()> running;
};

// Copies the logs of containers whose Docker log driver is not json-file into their CRI log
// files through Docker's logs API: one thread per followed container, blocked on its stream
// (Docker sends as the container writes), writing kubelet's CRI format. A stream that breaks is
// opened again from the last record copied, so nothing is repeated or lost; a dockershim
// restart resumes after the last record in the CRI log.
//
// Thread-safe.
class LogFollowers {
 public:
  LogFollowers() = default;
  ~LogFollowers();
  LogFollowers(const LogFollowers&) = delete;
  LogFollowers& operator=(const LogFollowers&) = delete;

  // Starts following. Opens or creates the CRI log at once, so its errors come back here (as
  // LogCopier::watch). The same container again is OK; FAILED_PRECONDITION once stopped.
  Status watch(const std::string& containerId, const std::string& criLogPath, bool tty,
               FollowSource source);
  // CRI ReopenContainerLog. NOT_FOUND for a container not followed.
  Status reopen(const std::string& containerId);
  // Waits up to `grace` for the stream to end by itself (a stopped container's log still
  // coming), then ends it. A container not followed is fine.
  void unwatch(const std::string& containerId,
               std::chrono::milliseconds grace = std::chrono::seconds(2));
  bool watching(const std::string& containerId) const;
  // Why Docker cannot give the container's log back (its log driver cannot be read); "" when it
  // can or the container was never followed. Kept after the follower ended, until unwatch().
  std::string problem(const std::string& containerId) const;
  // Ends every follower. Idempotent; later watch() calls fail.
  void stop();

 private:
  struct Follower;
  void run(const std::shared_ptr<Follower>& f);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Follower>> followers_;
  bool stopped_ = false;
};

}  // namespace dockershim::logs
