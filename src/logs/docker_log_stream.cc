#include "logs/docker_log_stream.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <utility>

namespace dockershim::logs {
namespace {

constexpr std::size_t kMaxWarnings = 5;

// Docker's fixed-width timestamp and its space, "2026-11-28T10:00:00.000000000Z ": 31 bytes.
constexpr std::size_t kStampSize = 31;

bool isStamp(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddddddddZ ";
  if (s.size() < kStampSize) return false;
  for (std::size_t i = 0; i < kStampSize; ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '9';
    if (kShape[i] == 'd' ? !digit : s[i] != kShape[i]) return false;
  }
  return true;
}

// Where in a TTY's raw stream line the next message starts, if a piece without a newline came
// before it: Docker writes each message as "<stamp> <text>", back to back, so a piece of a split
// line (or output that paused mid-line) has the next message's stamp right after it. Only a
// stamp of Docker's exact fixed width, no older than the line's own, counts.
std::size_t nextStamp(std::string_view line, int64_t lineNanos) {
  for (std::size_t pos = line.find('T', kStampSize + 10); pos != std::string_view::npos;
       pos = line.find('T', pos + 1)) {
    if (pos < 10) continue;
    std::string_view candidate = line.substr(pos - 10);
    if (!isStamp(candidate)) continue;
    auto nanos = parseRfc3339Nano(candidate.substr(0, kStampSize - 1));
    if (nanos && *nanos >= lineNanos) return pos - 10;
  }
  return std::string_view::npos;
}

}  // namespace

DockerLogStream::DockerLogStream(std::string containerId, bool multiplexed,
                                 std::optional<ResumePoint> resume, std::size_t maxEntryBytes)
    : id_(std::move(containerId)),
      multiplexed_(multiplexed),
      maxEntryBytes_(maxEntryBytes),
      filter_(resume),
      position_(resume) {}

void DockerLogStream::restart() {
  filter_ = ResumeFilter(position_);
  headerLen_ = 0;
  remaining_ = 0;
  payload_.clear();
  skipping_ = false;
  broken_ = false;
  split_ = {};
}

Status DockerLogStream::feed(std::string_view bytes, std::string& out) {
  if (broken_) return {Code::kDataLoss, "docker log stream of \"" + id_ + "\" is not framed"};
  if (multiplexed_) return feedFrames(bytes, out);
  feedRaw(bytes, out);
  return Status::ok();
}

Status DockerLogStream::feedFrames(std::string_view bytes, std::string& out) {
  while (!bytes.empty()) {
    if (remaining_ == 0 && headerLen_ < header_.size()) {
      std::size_t n = std::min(header_.size() - headerLen_, bytes.size());
      std::memcpy(header_.data() + headerLen_, bytes.data(), n);
      headerLen_ += n;
      bytes.remove_prefix(n);
      if (headerLen_ < header_.size()) return Status::ok();
      if (header_[0] > 3 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
        broken_ = true;
        return {Code::kDataLoss, "docker log stream of \"" + id_ + "\": bad frame header"};
      }
      remaining_ = (std::size_t{header_[4]} << 24) | (std::size_t{header_[5]} << 16) |
                   (std::size_t{header_[6]} << 8) | std::size_t{header_[7]};
      payload_.clear();
      skipping_ = remaining_ > maxEntryBytes_;
      if (skipping_ && ++warnings_ <= kMaxWarnings) {
        spdlog::warn("logs of container \"{}\": skipping a message of {} bytes", id_, remaining_);
      }
      if (remaining_ == 0) headerLen_ = 0;  // an empty frame carries no message
      continue;
    }
    std::size_t n = std::min(remaining_, bytes.size());
    if (!skipping_) payload_.append(bytes.data(), n);
    bytes.remove_prefix(n);
    remaining_ -= n;
    if (remaining_ > 0) return Status::ok();
    headerLen_ = 0;
    if (skipping_) continue;
    switch (header_[0]) {
      case 1:
        entry(Stream::kStdout, payload_, out);
        break;
      case 2:
        entry(Stream::kStderr, payload_, out);
        break;
      case 3: {
        // Docker's own trouble reading the log ("Error grabbing logs: …"), not output.
        std::string_view text = payload_;
        while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
        dockerError_ = std::string(text);
        spdlog::warn("logs of container \"{}\": docker says: {}", id_, dockerError_);
        break;
      }
      default:
        break;  // stdin: never sent
    }
    payload_.clear();
  }
  return Status::ok();
}

void DockerLogStream::feedRaw(std::string_view bytes, std::string& out) {
  while (!bytes.empty()) {
    const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
    std::size_t take = nl ? static_cast<const char*>(nl) - bytes.data() + 1 : bytes.size();
    if (!skipping_) {
      if (payload_.size() + take > maxEntryBytes_) {
        skipping_ = true;
        payload_.clear();
        if (++warnings_ <= kMaxWarnings) {
          spdlog::warn("logs of container \"{}\": skipping a line over {} bytes", id_,
                       maxEntryBytes_);
        }
      } else {
        payload_.append(bytes.data(), take);
      }
    }
    bytes.remove_prefix(take);
    if (!nl) return;
    if (!skipping_) {
      std::string_view line = payload_;
      for (;;) {
        auto own = parseRfc3339Nano(line.substr(0, std::min(line.find(' '), line.size())));
        std::size_t next = own ? nextStamp(line, *own) : std::string_view::npos;
        if (next == std::string_view::npos) break;
        entry(Stream::kStdout, line.substr(0, next), out);  // a piece: no newline
        line.remove_prefix(next);
      }
      entry(Stream::kStdout, line, out);
    }
    skipping_ = false;
    payload_.clear();
  }
}

void DockerLogStream::entry(Stream stream, std::string_view message, std::string& out) {
  auto space = message.find(' ');
  std::optional<int64_t> nanos;
  if (space != std::string_view::npos) nanos = parseRfc3339Nano(message.substr(0, space));
  if (!nanos) {
    if (++warnings_ <= kMaxWarnings) {
      spdlog::warn("logs of container \"{}\": a message without a timestamp; skipped", id_);
    }
    return;
  }
  std::string_view text = message.substr(space + 1);
  // compat: Docker 20.10's local driver gives the last piece of a line it split (at 16 KiB)
  // back without its newline (moby fixed it later). The pieces of one line share their first
  // piece's time and all but the last fill Docker's buffer, so a shorter piece at that time
  // ends the line; without this kubelet would join it to the next line.
  auto& split = split_[stream == Stream::kStdout ? 0 : 1];
  std::string ended;
  if (!text.empty() && text.back() != '\n' && split && split->unixNanos == *nanos &&
      text.size() < split->size) {
    ended.assign(text).push_back('\n');
    text = ended;
  }
  if (!text.empty() && text.back() != '\n') {
    split = Split{*nanos, text.size()};
  } else {
    split.reset();
  }
  if (!filter_.admit(*nanos, text)) return;
  std::size_t records = appendCriRecords(out, *nanos, stream, text);
  if (records == 0) return;
  if (position_ && position_->unixNanos == *nanos) {
    position_->recordsAtTime += records;
  } else {
    position_ = ResumePoint{*nanos, records};
  }
}

}  // namespace dockershim::logs
