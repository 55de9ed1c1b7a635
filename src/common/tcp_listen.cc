#include "common/tcp_listen.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace dockershim::common {

namespace {

// Splits "host:port", ":port" and "[v6]:port".
Result<std::pair<std::string, std::string>> splitHostPort(const std::string& address,
                                                          const std::string& what) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Status(Code::kInvalidArgument,
                  what + " \"" + address + "\" has no port (host:port or :port)");
  }
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::stoi(port) > 65535) {
    return Status(Code::kInvalidArgument,
                  what + " \"" + address + "\": port must be a number from 0 to 65535");
  }
  return std::make_pair(host, port);
}

}  // namespace

Result<TcpListener> listenTcp(const std::string& address, const std::string& what) {
  auto hp = splitHostPort(address, what);
  if (!hp) return hp.status();
  auto [host, port] = *hp;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return Status(Code::kInvalidArgument,
                  what + " \"" + address + "\": " + ::gai_strerror(rc) + " (give an IP address)");
  }
  TcpListener out;
  std::string lastError = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      out.fd = fd;
      break;
    }
    lastError = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (out.fd < 0) {
    return Status(Code::kUnavailable, what + " \"" + address + "\": bind: " + lastError);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(out.fd, reinterpret_cast<sockaddr*>(&bound), &len);
  char ip[INET6_ADDRSTRLEN] = {};
  if (bound.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&bound);
    out.port = ntohs(in6->sin6_port);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
    out.urlHost =
        IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ? "127.0.0.1" : "[" + std::string(ip) + "]";
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&bound);
    out.port = ntohs(in4->sin_port);
    ::inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof ip);
    out.urlHost = in4->sin_addr.s_addr == htonl(INADDR_ANY) ? "127.0.0.1" : std::string(ip);
  }
  return out;
}

}  // namespace dockershim::common
