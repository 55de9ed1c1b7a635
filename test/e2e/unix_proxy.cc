#include "e2e/unix_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string_view>

namespace dockershim::e2e {

namespace {
sockaddr_un address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  return a;
}
}  // namespace

UnixProxy::UnixProxy(std::string listenPath, std::string targetPath)
    : listenPath_(std::move(listenPath)), targetPath_(std::move(targetPath)) {
  ::unlink(listenPath_.c_str());
  listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = address(listenPath_);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listenFd_, 64) != 0) {
    throw std::runtime_error("proxy: cannot listen on " + listenPath_);
  }
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

UnixProxy::~UnixProxy() {
  stopping_ = true;
  acceptThread_.join();
  cut(std::chrono::milliseconds(0));
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listenFd_);
  ::unlink(listenPath_.c_str());
}

void UnixProxy::cut(std::chrono::milliseconds refuse) {
  std::lock_guard<std::mutex> lock(mu_);
  refuseUntil_ = std::chrono::steady_clock::now() + refuse;
  for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
}

void UnixProxy::acceptLoop() {
  while (!stopping_) {
    pollfd p{listenFd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int client = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++accepted_;
    std::lock_guard<std::mutex> lock(mu_);
    if (std::chrono::steady_clock::now() < refuseUntil_) {
      ::close(client);
      continue;
    }
    int server = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = address(targetPath_);
    if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(server);
      ::close(client);
      continue;
    }
    open_.insert(client);
    open_.insert(server);
    threads_.emplace_back([this, client, server] {
      std::atomic<bool> events{false};
      std::thread back([&] { pump(server, client, &events, false); });
      pump(client, server, &events, true);
      back.join();
      std::lock_guard<std::mutex> l(mu_);
      open_.erase(client);
      open_.erase(server);
      ::close(client);
      ::close(server);
    });
  }
}

void UnixProxy::pump(int from, int to, std::atomic<bool>* events, bool fromClient) {
  char buf[16384];
  bool first = true;
  for (;;) {
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) break;
    if (fromClient && first) {
      // The request line names the stream: "GET /v1.41/events?... HTTP/1.1".
      std::string_view head(buf, static_cast<size_t>(n));
      head = head.substr(0, head.find('\n'));
      if (head.rfind("GET ", 0) == 0 && head.find("/events") != std::string_view::npos)
        *events = true;
    }
    first = false;
    while (!fromClient && *events && holdEvents_ && !stopping_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = ::send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) {
        off = -1;
        break;
      }
      off += w;
    }
    if (off < 0) break;
  }
  // Either side ended: end both, so the other pump stops too.
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
}

}  // namespace dockershim::e2e
