#pragma once

#include <string>

#include "dockershim/status.h"

namespace dockershim::common {

struct TcpListener {
  int fd = -1;  // listening, close-on-exec; the caller owns it
  // How clients reach it: the bound address, loopback when bound to every interface
  // ("127.0.0.1" or "[::1]"-style brackets for IPv6), and the port in use.
  std::string urlHost;
  int port = 0;
};

// Listens on "host:port", ":port" (every interface) or "[v6]:port"; port 0 picks a free one.
// `what` names the server in errors ("streaming bind address"). INVALID_ARGUMENT for an address
// that does not parse (host names are refused: give an IP address), UNAVAILABLE when it cannot
// be bound.
Result<TcpListener> listenTcp(const std::string& address, const std::string& what);

}  // namespace dockershim::common
