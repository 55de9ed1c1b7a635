#include "logs/container_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "logs/cri_format.h"
#include "logs/docker_json_log.h"

namespace dockershim::logs {
namespace {

// Docker keeps <log>.1 … <log>.<max-file - 1>; max-file is rarely above 10.
constexpr int kMaxRotatedFiles = 16;
// A container's line buffer is given back once a line this long has passed, so idle containers
// hold at most this much each.
constexpr std::size_t kKeptPendingCapacity = 64 * 1024;
// Per container and kind, so a container printing garbage cannot flood the daemon's log.
constexpr std::size_t kMaxWarnings = 5;
// Files read to their end that reached() still recognises.
constexpr std::size_t kDoneMemory = 8;

// The time of the last parsable entry in a Docker log: whether a rotated file holds anything
// newer than the resume point.
std::optional<int64_t> lastEntryTime(int fd, std::size_t maxLine) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return std::nullopt;
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::size_t window = std::min(size, 2 * maxLine + 2);
  std::string buf(window, '\0');
  std::size_t got = 0;
  while (got < window) {
    ssize_t n =
        ::pread(fd, buf.data() + got, window - got, static_cast<off_t>(size - window + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    got += static_cast<std::size_t>(n);
  }
  std::string_view view(buf);
  std::size_t end = view.rfind('\n');
  while (end != std::string_view::npos && end > 0) {
    std::size_t nl = view.rfind('\n', end - 1);
    std::size_t start = nl == std::string_view::npos ? 0 : nl + 1;
    if (start > 0 || window == size) {
      auto entry = parseDockerJsonLine(view.substr(start, end - start));
      if (entry) return entry->unixNanos;
    }
    end = nl;
  }
  return std::nullopt;
}

}  // namespace

std::optional<FileMark> markOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileMark{st.st_dev, st.st_ino, st.st_size};
}

ContainerLog::ContainerLog(std::string containerId, std::string dockerLogPath,
                           std::string criLogPath, std::optional<ResumePoint> resume,
                           CopyLimits limits)
    : id_(containerId),
      dockerLogPath_(std::move(dockerLogPath)),
      limits_(limits),
      resume_(resume),
      dst_(std::move(containerId), std::move(criLogPath)) {}

ContainerLog::~ContainerLog() {
  closeSource(cur_);
  for (Source& s : queue_) closeSource(s);
}

// ---- destination ----

Status ContainerLog::openDestination() { return dst_.open(); }

Status ContainerLog::reopenDestination() { return dst_.reopen(); }

// ---- source ----

bool ContainerLog::openSource(const std::string& path, Source& src) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno != ENOENT) {
      spdlog::debug("open docker log \"{}\" of container \"{}\": {}", path, id_,
                    std::strerror(errno));
    }
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return false;
  }
  src = Source{fd, st.st_dev, st.st_ino, 0, '\n'};
  return true;
}

void ContainerLog::closeSource(Source& src) {
  if (src.fd >= 0) ::close(src.fd);
  src = Source{};
}

bool ContainerLog::pump(CopyScratch& scratch, std::size_t budgetBytes) {
  if (scratch.in.size() < limits_.readChunkBytes + 1) scratch.in.resize(limits_.readChunkBytes + 1);
  std::size_t budget = budgetBytes;
  for (;;) {
    if (cur_.fd < 0) {
      if (!started_) {
        started_ = true;
        queueRotatedAtStart();
      }
      if (!queue_.empty()) {
        cur_ = queue_.front();
        queue_.pop_front();
      } else if (!openSource(dockerLogPath_, cur_)) {
        return false;  // not created yet, or gone with its container
      }
    }
    // Look at the path before reading: if it already names another file, Docker has closed ours
    // (it creates the new file after closing the old), so what we read now is all there is.
    const auto live = markOf(dockerLogPath_);
    const bool final =
        !queue_.empty() || (live && (live->dev != cur_.dev || live->ino != cur_.ino));
    ReadEnd end = readSource(scratch, budget);
    if (end == ReadEnd::kBudget) return true;
    if (end == ReadEnd::kTruncated) {
      resetAfterTruncation();
      continue;
    }
    if (!final) return false;  // caught up with the live file
    Source finished = cur_;
    finishCurrent();
    if (queue_.empty()) queueRotatedSince(finished);
  }
}

ContainerLog::ReadEnd ContainerLog::readSource(CopyScratch& scratch, std::size_t& budget) {
  for (;;) {
    if (budget == 0) return ReadEnd::kBudget;
    // Re-read the last byte already consumed: if it changed, the file was truncated and written
    // again past our offset (Docker's max-file=1 truncates in place).
    const std::size_t back = cur_.offset > 0 ? 1 : 0;
    const std::size_t want = std::min(limits_.readChunkBytes, budget);
    ssize_t n =
        ::pread(cur_.fd, scratch.in.data(), want + back, cur_.offset - static_cast<off_t>(back));
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::warn("read docker log \"{}\" of container \"{}\": {}", dockerLogPath_, id_,
                   std::strerror(errno));
      return ReadEnd::kEof;
    }
    if (back == 1 && (n == 0 || scratch.in[0] != cur_.lastByte)) return ReadEnd::kTruncated;
    const std::size_t got = static_cast<std::size_t>(n) - back;
    if (got == 0) return ReadEnd::kEof;
    std::string_view data(scratch.in.data() + back, got);
    consume(data, scratch.out);
    cur_.offset += static_cast<off_t>(got);
    cur_.lastByte = data.back();
    budget -= std::min(got, budget);
    dst_.write(scratch.out);
    if (got < want) return ReadEnd::kEof;  // a short read of a regular file is its end
  }
}

void ContainerLog::resetAfterTruncation() {
  spdlog::warn("docker log \"{}\" of container \"{}\" was truncated; copying it from the start",
               dockerLogPath_, id_);
  cur_.offset = 0;
  cur_.lastByte = '\n';
  pending_.clear();
  skipping_ = false;
}

void ContainerLog::finishCurrent() {
  if (!pending_.empty()) {
    // Docker writes whole lines and rotates between them: this is a torn write.
    spdlog::warn("docker log \"{}\" of container \"{}\" ended inside a line; dropping {} bytes",
                 dockerLogPath_, id_, pending_.size());
  }
  pending_.clear();
  pending_.shrink_to_fit();
  skipping_ = false;
  done_.emplace_back(cur_.dev, cur_.ino);
  if (done_.size() > kDoneMemory) done_.erase(done_.begin());
  closeSource(cur_);
}

void ContainerLog::queueRotatedSince(const Source& finished) {
  // Rotation shifts every file up by one (<log> → <log>.1 → <log>.2 …), so the files below the
  // one just finished were rotated after it: Docker rotated more than once since the last pass.
  // If it has already been deleted, every rotated file left is newer.
  std::vector<Source> newer;
  for (int i = 1; i <= kMaxRotatedFiles; ++i) {
    const std::string path = dockerLogPath_ + "." + std::to_string(i);
    const auto mark = markOf(path);
    if (!mark || (mark->dev == finished.dev && mark->ino == finished.ino)) break;
    if (std::find(done_.begin(), done_.end(), std::make_pair(mark->dev, mark->ino)) !=
        done_.end()) {
      break;
    }
    Source src;
    if (!openSource(path, src)) break;  // compressed (<log>.N.gz) or gone meanwhile
    newer.push_back(src);
  }
  if (!newer.empty()) {
    spdlog::info("docker rotated the log of container \"{}\" {} times since the last copy", id_,
                 newer.size() + 1);
  }
  for (auto it = newer.rbegin(); it != newer.rend(); ++it) queue_.push_back(*it);
}

void ContainerLog::queueRotatedAtStart() {
  // After a restart Docker may have rotated lines we never copied into <log>.1, <log>.2 …; read
  // those that end after the resume point, oldest first.
  std::vector<Source> files;
  for (int i = 1; i <= kMaxRotatedFiles; ++i) {
    Source src;
    if (!openSource(dockerLogPath_ + "." + std::to_string(i), src)) break;
    if (resume_.point()) {
      auto last = lastEntryTime(src.fd, limits_.maxLineBytes);
      if (!last || *last < resume_.point()->unixNanos) {
        closeSource(src);
        break;  // older files are older still
      }
    }
    files.push_back(src);
  }
  for (auto it = files.rbegin(); it != files.rend(); ++it) queue_.push_back(*it);
}

// ---- lines ----

void ContainerLog::consume(std::string_view data, std::string& out) {
  std::size_t start = 0;
  while (start < data.size()) {
    const void* found = std::memchr(data.data() + start, '\n', data.size() - start);
    if (found == nullptr) {
      appendPending(data.substr(start));
      return;
    }
    const auto end = static_cast<std::size_t>(static_cast<const char*>(found) - data.data());
    std::string_view piece = data.substr(start, end - start);
    start = end + 1;
    if (skipping_) {
      skipping_ = false;  // the over-long line ends here
      continue;
    }
    if (pending_.empty()) {
      if (piece.size() > limits_.maxLineBytes) {
        appendPending(piece);  // warns and drops it
        skipping_ = false;
        continue;
      }
      handleLine(piece, out);
      continue;
    }
    appendPending(piece);
    if (skipping_) {
      skipping_ = false;
      continue;
    }
    handleLine(pending_, out);
    pending_.clear();
    if (pending_.capacity() > kKeptPendingCapacity) pending_.shrink_to_fit();
  }
}

void ContainerLog::appendPending(std::string_view piece) {
  if (skipping_) return;
  if (pending_.size() + piece.size() > limits_.maxLineBytes) {
    if (++longLines_ <= kMaxWarnings) {
      spdlog::warn("copy logs of container \"{}\": skipping a line of \"{}\" longer than {} bytes",
                   id_, dockerLogPath_, limits_.maxLineBytes);
    }
    pending_.clear();
    pending_.shrink_to_fit();
    skipping_ = true;
    return;
  }
  pending_.append(piece);
}

void ContainerLog::handleLine(std::string_view line, std::string& out) {
  if (line.empty()) return;
  auto entry = parseDockerJsonLine(line);
  if (!entry) {
    ++malformedLines_;
    if (malformedLines_ <= kMaxWarnings) {
      spdlog::warn("copy logs of container \"{}\": skipping a line of \"{}\": {}{}", id_,
                   dockerLogPath_, entry.status().message(),
                   malformedLines_ == kMaxWarnings ? " (further ones logged at debug)" : "");
    } else {
      spdlog::debug("copy logs of container \"{}\": skipping a line of \"{}\": {}", id_,
                    dockerLogPath_, entry.status().message());
    }
    return;
  }
  if (!resume_.admit(entry->unixNanos, entry->log)) return;
  if (appendCriRecords(out, entry->unixNanos, entry->stream, entry->log) > 0) {
    lastCopiedNanos_ = entry->unixNanos;
  }
}

// ---- end ----

void ContainerLog::finish(CopyScratch& scratch) {
  while (pump(scratch, static_cast<std::size_t>(-1))) {
  }
  if (!pending_.empty()) {
    spdlog::debug("docker log \"{}\" of container \"{}\" ends inside a line; dropping {} bytes",
                  dockerLogPath_, id_, pending_.size());
  }
  pending_.clear();
  closeSource(cur_);
  for (Source& s : queue_) closeSource(s);
  queue_.clear();
  dst_.close();
}

bool ContainerLog::reached(const FileMark& mark) const {
  if (!queue_.empty()) return false;
  if (cur_.fd >= 0 && cur_.dev == mark.dev && cur_.ino == mark.ino) {
    return cur_.offset >= mark.size;
  }
  return std::find(done_.begin(), done_.end(), std::make_pair(mark.dev, mark.ino)) != done_.end();
}

}  // namespace dockershim::logs
