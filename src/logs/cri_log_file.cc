#include "logs/cri_log_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

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
  // A record torn by a crash or a full disk would glue itself to our next one; end it so kubelet
  // skips one bad line instead of misreading a good one.
  char last = '\n';
  if (st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
    if (::write(fd, "\n", 1) != 1) {
      spdlog::warn("end torn last line of CRI log \"{}\": {}", path_, std::strerror(errno));
    }
  }
  return Status::ok();
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
  close();
  fd_ = fd;
  writeFailing_ = false;
  return Status::ok();
}

void CriLogFile::write(std::string& out) {
  std::size_t done = 0;
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
