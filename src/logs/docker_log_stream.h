#pragma once

// The body of Docker's GET /containers/{id}/logs?timestamps=1 turned into CRI log records, for
// containers whose log driver is not json-file (local, journald, …: Docker 20.10's dual logging
// serves every driver through this API).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dockershim/status.h"
#include "logs/cri_format.h"
#include "logs/cri_log_tail.h"
#include "logs/resume_filter.h"

namespace dockershim::logs {

// Docker API: each log message is "<RFC 3339 time, 9 fraction digits> <text>", the text ending
// in '\n' unless the message is a piece of a longer line (Docker splits lines at 16 KiB). Without
// a TTY the body is multiplexed: one frame per message (8-byte header: stream 1 stdout, 2 stderr,
// 3 Docker's own error; three zero bytes; big-endian length). With a TTY it is the messages
// back to back, all stdout.
//
// Not thread-safe.
class DockerLogStream {
 public:
  DockerLogStream(std::string containerId, bool multiplexed, std::optional<ResumePoint> resume,
                  std::size_t maxEntryBytes = 256 * 1024);

  // Appends to `out` the CRI records of every message completed by `bytes`. DATA_LOSS when the
  // framing is broken: the stream is then no longer read (open it again from position()).
  Status feed(std::string_view bytes, std::string& out);

  // Starts a new body (the stream opened again): framing state reset, entries up to position()
  // dropped as already copied.
  void restart();

  // The last record copied and how many records carry its time (for `since` and restart()).
  std::optional<ResumePoint> position() const { return position_; }
  // Docker's own errors inside the stream ("Error grabbing logs: …"), the last one.
  const std::string& dockerError() const { return dockerError_; }

 private:
  void entry(Stream stream, std::string_view message, std::string& out);
  Status feedFrames(std::string_view bytes, std::string& out);
  void feedRaw(std::string_view bytes, std::string& out);

  const std::string id_;
  const bool multiplexed_;
  const std::size_t maxEntryBytes_;
  ResumeFilter filter_;
  std::optional<ResumePoint> position_;

  std::array<unsigned char, 8> header_{};
  std::size_t headerLen_ = 0;
  std::size_t remaining_ = 0;  // payload bytes of the current frame still to come
  std::string payload_;
  bool skipping_ = false;  // the current frame or line is over maxEntryBytes
  bool broken_ = false;
  std::size_t warnings_ = 0;
  std::string dockerError_;
  // The piece of a split line last seen per stream (stdout, stderr): its time and size.
  struct Split {
    int64_t unixNanos = 0;
    std::size_t size = 0;
  };
  std::array<std::optional<Split>, 2> split_;
};

}  // namespace dockershim::logs
