#include "common/systemd_protocol.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace dockershim::common {
namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifyListener {
 public:
  // `name` starting with '@' binds in the abstract namespace.
  explicit NotifyListener(const std::string& name) : name_(name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = offsetof(sockaddr_un, sun_path) + name.size();
    if (name.front() == '@') {
      addr.sun_path[0] = '\0';
    } else {
      ::unlink(name.c_str());
      ++len;
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    if (!bound_) ::close(fd_);
    REQUIRE(bound_);
  }
  ~NotifyListener() {
    if (!bound_) return;
    ::close(fd_);
    if (name_.front() == '/') ::unlink(name_.c_str());
  }
  // The next datagram, or "" when none arrives within a second.
  std::string next() {
    timeval tv{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

std::string tempPath(const char* leaf) {
  return "/tmp/ds-notify-" + std::to_string(::getpid()) + "-" + leaf;
}

}  // namespace

TEST_CASE("notifyServiceManager sends the state to NOTIFY_SOCKET", "[systemd]") {
  SECTION("a filesystem path") {
    NotifyListener listener(tempPath("path.sock"));
    ::setenv("NOTIFY_SOCKET", tempPath("path.sock").c_str(), 1);
    CHECK(notifyServiceManager("READY=1") == 1);
    CHECK(listener.next() == "READY=1");
    CHECK(notifyServiceManager("STOPPING=1") == 1);
    CHECK(listener.next() == "STOPPING=1");
  }
  SECTION("an abstract address") {
    std::string name = "@ds-notify-" + std::to_string(::getpid());
    NotifyListener listener(name);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    CHECK(notifyServiceManager("READY=1") == 1);
    CHECK(listener.next() == "READY=1");
  }
  SECTION("nobody asked") {
    ::unsetenv("NOTIFY_SOCKET");
    CHECK(notifyServiceManager("READY=1") == 0);
  }
  SECTION("asked, but nobody listens or the address is not one") {
    ::setenv("NOTIFY_SOCKET", tempPath("absent.sock").c_str(), 1);
    CHECK(notifyServiceManager("READY=1") == -1);
    ::setenv("NOTIFY_SOCKET", "relative/path", 1);
    CHECK(notifyServiceManager("READY=1") == -1);
    ::setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);
    CHECK(notifyServiceManager("READY=1") == -1);
  }
  ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("listenFds counts the sockets passed to this process only", "[systemd]") {
  // Two descriptors side by side, as systemd passes them (without FD_CLOEXEC); high numbers
  // rather than 3 and 4, which this test process's own threads may hold.
  constexpr int kFirst = 900;
  for (int fd : {kFirst, kFirst + 1}) {
    int opened = ::open("/dev/null", O_RDONLY);
    REQUIRE(opened >= 0);
    REQUIRE(::dup2(opened, fd) == fd);  // dup2 leaves FD_CLOEXEC clear
    ::close(opened);
  }
  const std::string self = std::to_string(::getpid());

  SECTION("for this process: the count, close-on-exec set, the environment cleared") {
    ::setenv("LISTEN_PID", self.c_str(), 1);
    ::setenv("LISTEN_FDS", "2", 1);
    ::setenv("LISTEN_FDNAMES", "cri:legacy", 1);
    ::setenv("LISTEN_PIDFDID", "12345", 1);
    CHECK(listenFds(true, kFirst) == 2);
    CHECK((::fcntl(kFirst, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(kFirst + 1, F_GETFD) & FD_CLOEXEC) != 0);
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID"}) {
      INFO(name);
      CHECK(std::getenv(name) == nullptr);
    }
  }
  SECTION("kept when asked to") {
    ::setenv("LISTEN_PID", self.c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    CHECK(listenFds(false, kFirst) == 1);
    CHECK(std::getenv("LISTEN_FDS") != nullptr);
  }
  SECTION("for another process (a parent's, inherited): none") {
    ::setenv("LISTEN_PID", std::to_string(::getppid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "2", 1);
    CHECK(listenFds(true, kFirst) == 0);
    CHECK(std::getenv("LISTEN_PID") == nullptr);
  }
  SECTION("no socket activation") {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    CHECK(listenFds(true, kFirst) == 0);
  }
  SECTION("zero sockets passed") {
    ::setenv("LISTEN_PID", self.c_str(), 1);
    ::setenv("LISTEN_FDS", "0", 1);
    CHECK(listenFds(true, kFirst) == 0);
  }
  SECTION("malformed variables, or a passed fd that is not open") {
    for (const char* fds : {"", "two", "2x", "-1", "99999999999"}) {
      ::setenv("LISTEN_PID", self.c_str(), 1);
      ::setenv("LISTEN_FDS", fds, 1);
      INFO("LISTEN_FDS=" << fds);
      CHECK(listenFds(true, kFirst) == -1);
    }
    ::setenv("LISTEN_PID", self.c_str(), 1);
    ::unsetenv("LISTEN_FDS");
    CHECK(listenFds(true, kFirst) == -1);
    ::setenv("LISTEN_PID", "12ab", 1);
    ::setenv("LISTEN_FDS", "1", 1);
    CHECK(listenFds(true, kFirst) == -1);
    ::setenv("LISTEN_PID", self.c_str(), 1);
    ::setenv("LISTEN_FDS", "3", 1);  // kFirst + 2 is not open
    CHECK(listenFds(true, kFirst) == -1);
  }
  for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID"}) {
    ::unsetenv(name);
  }
  ::close(kFirst);
  ::close(kFirst + 1);
}

}  // namespace dockershim::common
