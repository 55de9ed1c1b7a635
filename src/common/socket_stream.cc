#include "common/socket_stream.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dockershim::common {
namespace {

// Milliseconds until the deadline for poll(), at least 0, at most a day per wait.
int pollTimeout(SocketStream::Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<long long>(left.count(), 24LL * 3600 * 1000));
}

}  // namespace

SocketStream::SocketStream(int fd, std::string leftover)
    : fd_(fd), leftover_(std::move(leftover)) {}

SocketStream::~SocketStream() {
  close();
  ::close(fd_);
}

Result<size_t> SocketStream::read(char* data, size_t size, Deadline deadline) {
  if (!leftover_.empty()) {
    size_t n = std::min(size, leftover_.size());
    std::memcpy(data, leftover_.data(), n);
    leftover_.erase(0, n);
    return n;
  }
  for (;;) {
    if (closed_) return Status(Code::kCancelled, "stream closed");
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, pollTimeout(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return Status(Code::kUnavailable, std::string("poll: ") + std::strerror(errno));
    if (rc == 0) {
      if (std::chrono::steady_clock::now() >= deadline)
        return Status(Code::kDeadlineExceeded, "read: deadline exceeded");
      continue;
    }
    ssize_t n = ::recv(fd_, data, size, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Status(Code::kUnavailable, std::string("read: ") + std::strerror(errno));
    return static_cast<size_t>(n);
  }
}

Status SocketStream::write(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    if (closed_) return {Code::kCancelled, "stream closed"};
    pollfd p{fd_, POLLOUT, 0};
    int rc = ::poll(&p, 1, pollTimeout(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return {Code::kUnavailable, std::string("poll: ") + std::strerror(errno)};
    if (rc == 0) {
      if (std::chrono::steady_clock::now() >= deadline)
        return {Code::kDeadlineExceeded, "write: deadline exceeded"};
      continue;
    }
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return {Code::kUnavailable, std::string("write: ") + std::strerror(errno)};
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status SocketStream::closeWrite() {
  if (::shutdown(fd_, SHUT_WR) != 0 && errno != ENOTCONN) {
    return {Code::kUnavailable, std::string("shutdown: ") + std::strerror(errno)};
  }
  return Status::ok();
}

bool SocketStream::peerClosed() const {
  if (closed_) return true;
  pollfd p{fd_, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

void SocketStream::close() {
  // shutdown wakes a reader blocked in poll(); the descriptor itself is closed by the
  // destructor so no other thread can race a reused fd number.
  if (!closed_.exchange(true)) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace dockershim::common
