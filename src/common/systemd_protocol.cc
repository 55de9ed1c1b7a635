#include "common/systemd_protocol.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace dockershim::common {
namespace {

// A whole decimal number and nothing else.
template <typename T>
bool parseNumber(const char* text, T& out) {
  if (text == nullptr || *text == '\0') return false;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

int listenFds(bool unsetEnvironment, int firstFd) {
  int result = 0;
  const char* pidText = std::getenv("LISTEN_PID");
  if (pidText != nullptr) {
    pid_t pid = 0;
    int count = 0;
    if (!parseNumber(pidText, pid) || pid <= 0) {
      result = -1;
    } else if (pid == ::getpid()) {
      if (!parseNumber(std::getenv("LISTEN_FDS"), count) || count < 0 ||
          count > 4096) {  // far above any unit's ListenStream= lines
        result = -1;
      } else {
        for (int fd = firstFd; fd < firstFd + count; ++fd) {
          int flags = ::fcntl(fd, F_GETFD);
          if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
            result = -1;
            break;
          }
        }
        if (result == 0) result = count;
      }
    }
  }
  if (unsetEnvironment) {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    ::unsetenv("LISTEN_PIDFDID");
  }
  return result;
}

int notifyServiceManager(std::string_view state) {
  const char* where = std::getenv("NOTIFY_SOCKET");
  if (where == nullptr || *where == '\0') return 0;
  std::string path(where);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // A path, or '@' for Linux's abstract namespace; sd_notify(3)'s vsock: form is not one a
  // node's systemd gives a service.
  if ((path.front() != '/' && path.front() != '@') || path.size() >= sizeof(addr.sun_path)) {
    errno = EINVAL;
    return -1;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path.front() == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                         (path.front() == '@' ? 0 : 1));
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&addr), len);
  int saved = errno;
  ::close(fd);
  errno = saved;
  return sent == static_cast<ssize_t>(state.size()) ? 1 : -1;
}

}  // namespace dockershim::common
