#include "logs/cri_log_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "common/fault_point.h"

namespace dockershim::logs {
namespace {

Status errnoStatus(int err, const std::string& what) {
  Code code = Code::kInternal;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = Code::kNotFound;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = Code::kPermissionDenied;
      break;
    case ENOSPC:
    case EMFILE:
    case ENFILE:
      code = Code::kResourceExhausted;
      break;
    default:
      break;
  }
  return errorStatus(code, what + ": " + std::strerror(err));
}

}  // namespace

CriLogFile::CriLogFile(std::string containerId, std::string path)
    : id_(std::move(containerId)), path_(std::move(path)) {}

CriLogFile::~CriLogFile() { close(); }

Status CriLogFile::openFd(int& fd) {
  // O_NOFOLLOW: the path is kubelet's, under /var/log/pods; a symlink planted there must not
  // make a root daemon append to another file. O_NONBLOCK: a FIFO there must not hang us.
  // O_RDWR, not O_WRONLY: the torn-line check below reads the last byte.
  constexpr int kFlags =
      O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
  fd = ::open(path_.c_str(), kFlags, 0640);
  if (fd < 0 && errno == ENOENT) {
    // kubelet creates the container's log folder before CreateContainer; only that last folder
    // is made here, never a whole missing tree.
    const std::string parent = std::filesystem::path(path_).parent_path().string();
    if (::mkdir(parent.c_str(), 0755) == 0) {
      spdlog::info("created CRI log folder \"{}\" for container \"{}\"", parent, id_);
    }
    fd = ::open(path_.c_str(), kFlags, 0640);
  }
  if (fd < 0) {
    if (errno == ELOOP) {
      return errorStatus(Code::kFailedPrecondition,
                         "CRI log \"" + path_ + "\" is a symlink; refusing to follow it");
    }
    return errnoStatus(errno, "open CRI log \"" + path_ + "\"");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fd = -1;
    return errorStatus(Code::kFailedPrecondition,
                       "CRI log \"" + path_ + "\" is not a regular file");
  }
  dropTornRecord(fd, st.st_size);
  return Status::ok();
}

void CriLogFile::dropTornRecord(int fd, off_t size) {
  char last = '\n';
  if (size <= 0 || ::pread(fd, &last, 1, size - 1) != 1 || last == '\n') return;
  // A record torn by a crash or a full disk: it is cut off, and copying resumes at the record it
  // began (the resume point passes over a torn line), so the record is neither lost nor doubled.
  // Only our own records are looked for; past that length, the line is ended instead, so the
  // next record starts on a line of its own.
  constexpr off_t kLongestRecord = 1 << 20;
  char buf[64 * 1024];
  off_t keep = -1;  // the length up to and with the last '\n'
  off_t end = size;
  while (keep < 0 && end > 0 && size - end < kLongestRecord) {
    off_t begin = std::max<off_t>(0, end - static_cast<off_t>(sizeof(buf)));
    ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - begin), begin);
    if (n != end - begin) break;
    for (ssize_t i = n - 1; i >= 0 && keep < 0; --i) {
      if (buf[i] == '\n') keep = begin + i + 1;
    }
    end = begin;
  }
  if (keep < 0 && end == 0) keep = 0;  // the whole file is one torn record
  if (keep >= 0 && ::ftruncate(fd, keep) == 0) {
    spdlog::warn(
        "CRI log \"{}\": dropped a torn record of {} bytes (dockershim stopped while "
        "writing it); it is copied again",
        path_, size - keep);
    return;
  }
  if (::write(fd, "\n", 1) != 1) {
    spdlog::warn("end torn last line of CRI log \"{}\": {}", path_, std::strerror(errno));
  }
}

Status CriLogFile::open() {
  int fd = -1;
  Status st = openFd(fd);
  if (!st) return st;
  close();
  fd_ = fd;
  return Status::ok();
}

Status CriLogFile::reopen() {
  int fd = -1;
  Status st = openFd(fd);
  if (!st) return st;  // keep writing to the old file; kubelet renames it back on failure
  DS_FAULT_POINT("reopen_container_log.after_open");
  close();
  fd_ = fd;
  writeFailing_ = false;
  return Status::ok();
}

void CriLogFile::write(std::string& out) {
  std::size_t done = 0;
#ifdef DOCKERSHIM_FAULT_POINTS
  // Test builds: the first record goes out in two writes with a fault point between them (the
  // same bytes either way), so a test can kill dockershim in the middle of a line.
  if (fd_ >= 0 && !out.empty()) {
    std::size_t half = std::min(out.find('\n'), out.size()) / 2;
    if (half > 0 && ::write(fd_, out.data(), half) == static_cast<ssize_t>(half)) {
      done = half;
      DS_FAULT_POINT("log_copier.mid_line");
    }
  }
#endif
  while (done < out.size() && fd_ >= 0) {
    ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // As containerd does: drop and go on, so a full disk does not stall the copy for good.
      if (!writeFailing_) {
        spdlog::warn("write CRI log \"{}\" of container \"{}\": {}; dropping lines until it works",
                     path_, id_, n < 0 ? std::strerror(errno) : "short write");
      }
      writeFailing_ = true;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (done == out.size() && writeFailing_ && !out.empty()) {
    spdlog::info("write CRI log \"{}\" of container \"{}\" works again", path_, id_);
    writeFailing_ = false;
  }
  out.clear();
}

void CriLogFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace dockershim::logs
