#include "metrics_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include "common/socket_stream.h"

namespace dockershim::lab {

Samples parseExposition(std::string_view text) {
  Samples out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    // The value follows the last space outside the label set (label values may hold spaces).
    size_t close = line.rfind('}');
    size_t space = line.find(' ', close == std::string_view::npos ? 0 : close);
    if (space == std::string_view::npos) continue;
    std::string value(line.substr(space + 1));
    if (auto more = value.find(' '); more != std::string::npos) value.resize(more);  // timestamp
    char* endp = nullptr;
    double v = std::strtod(value.c_str(), &endp);
    if (endp == value.c_str()) continue;
    out[std::string(line.substr(0, space))] = v;
  }
  return out;
}

double sumOf(const Samples& samples, std::string_view name, std::string_view labelPart) {
  double sum = 0;
  for (auto it = samples.lower_bound(std::string(name)); it != samples.end(); ++it) {
    std::string_view key = it->first;
    if (key.substr(0, name.size()) != name) break;
    std::string_view rest = key.substr(name.size());
    if (!rest.empty() && rest.front() != '{') continue;  // another metric sharing the prefix
    if (!labelPart.empty() && rest.find(labelPart) == std::string_view::npos) continue;
    sum += it->second;
  }
  return sum;
}

Result<Samples> scrapeMetrics(const std::string& hostPort, std::chrono::milliseconds timeout) {
  auto colon = hostPort.rfind(':');
  if (colon == std::string::npos) {
    return Status(Code::kInvalidArgument, "metrics address \"" + hostPort + "\" has no port");
  }
  std::string host = hostPort.substr(0, colon);
  int port = 0;
  auto portText = std::string_view(hostPort).substr(colon + 1);
  if (std::from_chars(portText.data(), portText.data() + portText.size(), port).ec != std::errc() ||
      port <= 0 || port > 65535) {
    return Status(Code::kInvalidArgument, "metrics address \"" + hostPort + "\": bad port");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.empty() ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1) {
    return Status(Code::kInvalidArgument, "metrics address \"" + hostPort + "\": not IPv4");
  }
  int raw = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (raw < 0) return Status(Code::kInternal, "socket failed");
  common::SocketStream stream(raw);  // owns it from here
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (::connect(raw, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    pollfd p{raw, POLLOUT, 0};
    int err = errno;
    if (err == EINPROGRESS && ::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      socklen_t len = sizeof err;
      ::getsockopt(raw, SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (err != 0) return Status(Code::kUnavailable, "metrics at " + hostPort + ": cannot connect");
  }
  if (Status st = stream.write("GET /metrics HTTP/1.0\r\nHost: " + hostPort + "\r\n\r\n", deadline);
      !st) {
    return st.withContext("metrics at " + hostPort);
  }
  std::string response;
  char buf[16384];
  for (;;) {
    auto n = stream.read(buf, sizeof buf, deadline);
    if (!n) return n.status().withContext("metrics at " + hostPort);
    if (*n == 0) break;
    response.append(buf, *n);
    if (response.size() > (64u << 20)) {
      return Status(Code::kResourceExhausted, "metrics at " + hostPort + ": too large");
    }
  }
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") > response.find('\n')) {
    return Status(Code::kUnavailable, "metrics at " + hostPort + ": not a 200 answer");
  }
  auto body = response.find("\r\n\r\n");
  if (body == std::string::npos) return Status(Code::kUnavailable, "metrics: no body");
  return parseExposition(std::string_view(response).substr(body + 4));
}

bool isDockershimMetrics(const std::string& hostPort) {
  auto samples = scrapeMetrics(hostPort, std::chrono::seconds(2));
  return samples && sumOf(*samples, "dockershim_build_info") > 0;
}

}  // namespace dockershim::lab
