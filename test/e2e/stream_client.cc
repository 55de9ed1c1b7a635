#include "e2e/stream_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "common/base64.h"

namespace dockershim::e2e {

namespace {

using Clock = std::chrono::steady_clock;
namespace spdy = streaming::spdy;
namespace ws = streaming::ws;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::unique_ptr<common::SocketStream> httpUpgrade(
    const std::string& url, const std::string& method,
    const std::vector<std::pair<std::string, std::string>>& headers, HttpAnswer& answer) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return nullptr;
  auto slash = url.find('/', scheme.size());
  std::string hostPort = url.substr(scheme.size(), slash - scheme.size());
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  auto colon = hostPort.rfind(':');
  std::string host = hostPort.substr(0, colon), port = hostPort.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return nullptr;
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = fd < 0 ? -1 : ::connect(fd, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (rc != 0) {
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  auto socket = std::make_unique<common::SocketStream>(fd);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "Content-Length: 0\r\n\r\n";
  auto deadline = Clock::now() + std::chrono::seconds(20);
  if (!socket->write(req, deadline)) return nullptr;
  std::string buf;
  char chunk[4096];
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    auto n = socket->read(chunk, sizeof chunk, deadline);
    if (!n || *n == 0) return nullptr;
    buf.append(chunk, *n);
  }
  std::string head = buf.substr(0, end);
  std::string rest = buf.substr(end + 4);
  auto lineEnd = head.find("\r\n");
  std::string statusLine = head.substr(0, lineEnd);
  answer.status = std::stoi(statusLine.substr(statusLine.find(' ') + 1, 3));
  size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    pos = e + 2;
    auto c = line.find(':');
    if (c == std::string::npos) continue;
    std::string name = lower(line.substr(0, c)), value = line.substr(c + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    auto& slot = answer.headers[name];
    slot = slot.empty() ? value : slot + ", " + value;
  }
  if (answer.status != 101) {
    size_t length =
        answer.headers.count("content-length") ? std::stoul(answer.headers["content-length"]) : 0;
    while (rest.size() < length) {
      auto n = socket->read(chunk, sizeof chunk, deadline);
      if (!n || *n == 0) break;
      rest.append(chunk, *n);
    }
    answer.body = rest;
    return nullptr;
  }
  socket->unread(rest);
  return socket;
}

std::unique_ptr<SpdyClient> SpdyClient::connect(const std::string& url,
                                                const std::vector<std::string>& protocols,
                                                HttpAnswer& answer) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Connection", "Upgrade"},
                                                              {"Upgrade", "SPDY/3.1"}};
  for (const auto& p : protocols) headers.emplace_back("X-Stream-Protocol-Version", p);
  auto socket = httpUpgrade(url, "POST", headers, answer);
  if (!socket) return nullptr;
  auto client = std::make_unique<SpdyClient>();
  client->socket_ = std::move(socket);
  return client;
}

bool SpdyClient::open(uint32_t id, const spdy::Headers& headers, bool fin) {
  auto bytes = encoder_.synStream({.streamId = id, .fin = fin, .headers = headers});
  if (!bytes || !socket_->write(*bytes, Clock::now() + std::chrono::seconds(10))) return false;
  pump([&] { return replied_.count(id) > 0 || finished[id]; },
       Clock::now() + std::chrono::seconds(30));
  return replied_.count(id) > 0;
}

bool SpdyClient::send(uint32_t id, std::string_view payload, bool fin) {
  auto bytes = encoder_.dataFrames(id, fin, payload, 16 * 1024);
  return bytes && socket_->write(*bytes, Clock::now() + std::chrono::seconds(60)).isOk();
}

bool SpdyClient::reset(uint32_t id) {
  auto bytes = encoder_.rstStream({.streamId = id, .statusCode = spdy::kRstCancel});
  return bytes && socket_->write(*bytes, Clock::now() + std::chrono::seconds(10)).isOk();
}

bool SpdyClient::ping(uint32_t id) {
  auto bytes = encoder_.ping({.id = id});
  return bytes && socket_->write(*bytes, Clock::now() + std::chrono::seconds(10)).isOk();
}

bool SpdyClient::pump(const std::function<bool()>& done, StreamDeadline deadline) {
  std::vector<spdy::Frame> frames;
  char buf[64 * 1024];
  while (!done()) {
    if (eof) return false;
    auto n = socket_->read(buf, sizeof buf, deadline);
    if (!n) return false;
    if (*n == 0) {
      eof = true;
      for (auto& [id, f] : finished) f = true;
      continue;
    }
    frames.clear();
    if (Status st = decoder_.feed(std::string_view(buf, *n), frames); !st) {
      error = st.message();
      return false;
    }
    for (auto& f : frames) {
      if (auto* d = std::get_if<spdy::Data>(&f)) {
        data[d->streamId] += d->payload;
        if (d->fin) finished[d->streamId] = true;
      } else if (auto* r = std::get_if<spdy::SynReply>(&f)) {
        replied_[r->streamId] = true;
        if (r->fin) finished[r->streamId] = true;
      } else if (auto* rst = std::get_if<spdy::RstStream>(&f)) {
        finished[rst->streamId] = true;
        wasReset[rst->streamId] = true;
      } else if (auto* p = std::get_if<spdy::Ping>(&f)) {
        pongs.push_back(p->id);
      } else if (std::holds_alternative<spdy::GoAway>(f)) {
        goAway = true;
      }
    }
  }
  return true;
}

std::unique_ptr<WsClient> WsClient::connect(const std::string& url,
                                            const std::vector<std::string>& protocols,
                                            HttpAnswer& answer) {
  std::string key(16, '\0');
  std::mt19937 rng(std::random_device{}());
  for (auto& c : key) c = static_cast<char>(rng());
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Connection", "Upgrade"},
      {"Upgrade", "websocket"},
      {"Sec-WebSocket-Version", "13"},
      {"Sec-WebSocket-Key", common::base64Encode(key)}};
  std::string list;
  for (const auto& p : protocols) list += (list.empty() ? "" : ", ") + p;
  if (!list.empty()) headers.emplace_back("Sec-WebSocket-Protocol", list);
  auto socket = httpUpgrade(url, "GET", headers, answer);
  if (!socket) return nullptr;
  if (answer.headers["sec-websocket-accept"] != ws::acceptKey(common::base64Encode(key))) {
    return nullptr;
  }
  auto client = std::make_unique<WsClient>();
  client->socket_ = std::move(socket);
  return client;
}

bool WsClient::sendBinary(std::string_view payload) {
  return socket_
      ->write(ws::encodeMaskedFrame(ws::Opcode::kBinary, payload, {1, 2, 3, 4}),
              Clock::now() + std::chrono::seconds(60))
      .isOk();
}

bool WsClient::sendText(std::string_view payload) {
  return socket_
      ->write(ws::encodeMaskedFrame(ws::Opcode::kText, payload, {9, 8, 7, 6}),
              Clock::now() + std::chrono::seconds(60))
      .isOk();
}

bool WsClient::sendControl(ws::Opcode op, std::string_view payload) {
  return socket_
      ->write(ws::encodeMaskedFrame(op, payload, {5, 6, 7, 8}),
              Clock::now() + std::chrono::seconds(10))
      .isOk();
}

bool WsClient::sendChannel(uint8_t channel, std::string_view data, bool asBase64) {
  if (asBase64) {
    return sendText(std::string(1, static_cast<char>('0' + channel)) + common::base64Encode(data));
  }
  return sendBinary(std::string(1, static_cast<char>(channel)) + std::string(data));
}

bool WsClient::pump(const std::function<bool()>& done, StreamDeadline deadline) {
  std::vector<ws::Message> got;
  char buf[64 * 1024];
  while (!done()) {
    if (eof || closed) return done();
    auto n = socket_->read(buf, sizeof buf, deadline);
    if (!n) return false;
    if (*n == 0) {
      eof = true;
      continue;
    }
    got.clear();
    if (Status st = decoder_.feed(std::string_view(buf, *n), got); !st) {
      error = st.message();
      return false;
    }
    for (auto& m : got) {
      if (m.opcode == ws::Opcode::kClose) {
        closed = true;
        closeCode = ws::parseClosePayload(m.payload).first;
        continue;
      }
      if (m.opcode == ws::Opcode::kPong) {
        pongs.push_back(m.payload);
        continue;
      }
      if (m.opcode == ws::Opcode::kPing) continue;
      if (!m.payload.empty()) {
        if (base64 && m.opcode == ws::Opcode::kText) {
          std::string decoded;
          common::base64Decode(std::string_view(m.payload).substr(1), decoded);
          channels[static_cast<uint8_t>(m.payload[0] - '0')] += decoded;
        } else {
          channels[static_cast<uint8_t>(m.payload[0])] += m.payload.substr(1);
        }
      }
      messages.push_back(std::move(m));
    }
  }
  return true;
}

}  // namespace dockershim::e2e
