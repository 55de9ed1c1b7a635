#include "integration/fake_docker.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace dockershim::testing {

namespace {

std::string reason(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    default:
      return "Status";
  }
}

bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

FakeReply jsonReply(int status, const std::string& body, bool keepAlive) {
  std::string head =
      "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n";
  FakeReply r;
  r.pieces = {head + body};
  r.close = !keepAlive;
  return r;
}

FakeReply chunkedReply(int status, const std::vector<std::string>& chunks) {
  FakeReply r;
  r.pieces.push_back("HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                     "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (const auto& c : chunks) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", c.size());
    r.pieces.push_back(size + c + "\r\n");
  }
  r.pieces.push_back("0\r\n\r\n");
  return r;
}

FakeDocker::FakeDocker(Handler handler) : handler_(std::move(handler)) {
  char tmpl[] = "/tmp/dsfake-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  path_ = dir_ + "/docker.sock";
  listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 128) != 0) {
    throw std::runtime_error("fake docker: bind/listen failed");
  }
  acceptThread_ = std::thread([this] {
    for (;;) {
      int c = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      accepted_++;
      std::lock_guard<std::mutex> lock(mu_);
      clients_.push_back(c);
      workers_.emplace_back([this, c] { serve(c); });
    }
  });
}

FakeDocker::~FakeDocker() {
  stopping_ = true;
  ::shutdown(listenFd_, SHUT_RDWR);
  ::close(listenFd_);
  acceptThread_.join();
  dropConnections();
  for (auto& w : workers_) w.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int c : clients_) ::close(c);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void FakeDocker::dropConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int c : clients_) ::shutdown(c, SHUT_RDWR);
}

void FakeDocker::serve(int fd) {
  std::string buf;
  char tmp[8192];
  for (;;) {
    // Read one request: header, then Content-Length bytes of body.
    size_t headerEnd;
    while ((headerEnd = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return;
      buf.append(tmp, static_cast<size_t>(n));
    }
    FakeRequest req;
    std::string head = buf.substr(0, headerEnd);
    size_t lineEnd = head.find("\r\n");
    std::string requestLine = head.substr(0, lineEnd);
    size_t sp1 = requestLine.find(' '), sp2 = requestLine.rfind(' ');
    req.method = requestLine.substr(0, sp1);
    req.target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = lineEnd + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        req.headers[name] = value;
      }
      pos = end + 2;
    }
    size_t length = req.headers.count("content-length")
                        ? std::strtoul(req.headers["content-length"].c_str(), nullptr, 10)
                        : 0;
    buf.erase(0, headerEnd + 4);
    while (buf.size() < length) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return;
      buf.append(tmp, static_cast<size_t>(n));
    }
    req.body = buf.substr(0, length);
    buf.erase(0, length);

    FakeReply reply = handler_(req);
    if (reply.hang) {
      // Hold the connection until the client gives up or the fake stops.
      while (!stopping_) {
        pollfd p{fd, POLLIN, 0};
        int rc = ::poll(&p, 1, 50);
        if (rc > 0) {
          ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
          if (n <= 0) return;
        }
      }
      return;
    }
    for (const auto& piece : reply.pieces) {
      writeAll(fd, piece);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (reply.stream) {
      reply.stream([this, fd](const std::string& data) {
        if (stopping_) return false;
        // A client that closed its end shows as readable with nothing to read.
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) {
          char probe;
          if (::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) return false;
        }
        return data.empty() || writeAll(fd, data);
      });
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
    if (reply.close) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

}  // namespace dockershim::testing
