#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "logs/cri_log_tail.h"

namespace dockershim::logs {

// Drops what a CRI log already holds when copying into it starts again (after a dockershim
// restart, or a Docker log stream opened again): entries stamped before the resume point, and
// the first `recordsAtTime` records stamped exactly at it.
class ResumeFilter {
 public:
  explicit ResumeFilter(std::optional<ResumePoint> point)
      : point_(point), skip_(point ? point->recordsAtTime : 0) {}

  // Whether the entry stamped `unixNanos` with `text` is new to the CRI log. Once one is, every
  // later one is too, even where stdout and stderr interleave slightly out of time order.
  bool admit(int64_t unixNanos, std::string_view text);

  // The point still being searched for; nullopt once it was passed (or there was none).
  const std::optional<ResumePoint>& point() const { return point_; }

 private:
  std::optional<ResumePoint> point_;
  std::size_t skip_ = 0;
};

}  // namespace dockershim::logs
