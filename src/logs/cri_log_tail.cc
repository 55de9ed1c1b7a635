#include "logs/cri_log_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "logs/cri_format.h"

namespace dockershim::logs {
namespace {

constexpr std::size_t kFirstWindow = 1 << 20;
constexpr std::size_t kMaxWindow = 16 << 20;

struct WindowScan {
  CriLogTail tail;
  bool conclusive = true;  // false: the answer may lie before the window
};

// Scans `buf`, the last bytes of a file, backward. `atFileStart` tells whether its first line is
// whole; when not, that line is unusable and reaching it leaves the scan inconclusive.
WindowScan scanWindow(std::string_view buf, bool atFileStart) {
  WindowScan scan;
  std::size_t lastNl = buf.rfind('\n');
  if (lastNl == std::string_view::npos) {
    scan.conclusive = atFileStart;
    return scan;
  }
  std::string_view view = buf.substr(0, lastNl);  // complete lines only, without the last '\n'
  std::optional<int64_t> time;
  std::size_t count = 0;
  std::size_t end = view.size();
  for (;;) {
    std::size_t nl = end == 0 ? std::string_view::npos : view.rfind('\n', end - 1);
    const bool firstLine = nl == std::string_view::npos;
    if (firstLine && !atFileStart) {
      scan.conclusive = false;
      break;
    }
    std::size_t start = firstLine ? 0 : nl + 1;
    if (auto head = parseCriRecordHead(view.substr(start, end - start))) {
      if (!time) {
        time = head->unixNanos;
        count = 1;
      } else if (head->unixNanos == *time) {
        ++count;
      } else {
        scan.tail.last = ResumePoint{*time, count};
        return scan;
      }
    }
    if (firstLine) {
      scan.tail.runCoversFile = time.has_value();
      break;
    }
    end = nl;
  }
  if (time) scan.tail.last = ResumePoint{*time, count};
  return scan;
}

bool readFully(int fd, char* buf, std::size_t len, off_t offset) {
  while (len > 0) {
    ssize_t n = ::pread(fd, buf, len, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    len -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

bool isRotationSuffix(std::string_view s) {
  // kubelet's rotation timestamp layout, Go "20060102-150405".
  if (s.size() != 15 || s[8] != '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != 8 && (s[i] < '0' || s[i] > '9')) return false;
  }
  return true;
}

}  // namespace

CriLogTail readCriLogTail(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the path must not hang the caller; it fails S_ISREG below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return {};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    ::close(fd);
    return {};
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  std::size_t window = std::min(size, kFirstWindow);
  std::string buf;
  CriLogTail result;
  for (;;) {
    buf.resize(window);
    if (!readFully(fd, buf.data(), window, static_cast<off_t>(size - window))) break;
    WindowScan scan = scanWindow(buf, window == size);
    result = scan.tail;
    if (scan.conclusive || window >= std::min(size, kMaxWindow)) break;
    window = std::min({size, kMaxWindow, window * 4});
  }
  ::close(fd);
  return result;
}

std::string newestRotatedCriLog(const std::string& criLogPath) {
  namespace fs = std::filesystem;
  const fs::path log(criLogPath);
  const std::string prefix = log.filename().string() + ".";
  std::error_code ec;
  fs::directory_iterator it(log.parent_path(), ec);
  std::string newest;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    if (!isRotationSuffix(std::string_view(name).substr(prefix.size()))) continue;
    newest = std::max(newest, name);  // the timestamp layout sorts as text
  }
  if (newest.empty()) return "";
  return (log.parent_path() / newest).string();
}

ResumePoint findResumePoint(const std::string& criLogPath) {
  CriLogTail current = readCriLogTail(criLogPath);
  if (current.last && !current.runCoversFile) return *current.last;

  std::string rotated = newestRotatedCriLog(criLogPath);
  CriLogTail previous = rotated.empty() ? CriLogTail{} : readCriLogTail(rotated);
  if (!current.last) return previous.last.value_or(ResumePoint{});
  ResumePoint point = *current.last;
  // A run of equal timestamps that kubelet's rotation cut in two.
  if (previous.last && previous.last->unixNanos == point.unixNanos) {
    point.recordsAtTime += previous.last->recordsAtTime;
  }
  return point;
}

}  // namespace dockershim::logs
