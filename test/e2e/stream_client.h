#pragma once

// The project's own streaming clients for e2e tests: SPDY/3.1 and WebSocket as kubectl, crictl
// and the kubelet speak them to a CRI streaming server.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/socket_stream.h"
#include "streaming/spdy.h"
#include "streaming/websocket.h"

namespace dockershim::e2e {

using StreamDeadline = std::chrono::steady_clock::time_point;

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by ", "
  std::string body;                            // for non-101 answers
};

// Connects to http://host:port/path and sends an upgrade request with `headers`; the socket
// is returned positioned after the answer's head (101) or `answer` holds the refusal.
std::unique_ptr<common::SocketStream> httpUpgrade(
    const std::string& url, const std::string& method,
    const std::vector<std::pair<std::string, std::string>>& headers, HttpAnswer& answer);

class SpdyClient {
 public:
  // Upgrades to SPDY/3.1 offering `protocols` (one X-Stream-Protocol-Version line each).
  static std::unique_ptr<SpdyClient> connect(const std::string& url,
                                             const std::vector<std::string>& protocols,
                                             HttpAnswer& answer);

  // Opens a stream and waits for the server's reply (false if reset or no reply in time).
  bool open(uint32_t id, const streaming::spdy::Headers& headers, bool fin = false);
  bool send(uint32_t id, std::string_view data, bool fin = false);
  bool reset(uint32_t id);
  bool ping(uint32_t id);

  // Reads frames until `done()` or the deadline; received data is collected per stream.
  // Returns false on a connection error before done().
  bool pump(const std::function<bool()>& done, StreamDeadline deadline);

  std::map<uint32_t, std::string> data;  // bytes per stream
  std::map<uint32_t, bool> finished;     // FIN or RST seen per stream
  std::map<uint32_t, bool> wasReset;
  std::vector<uint32_t> pongs;
  bool goAway = false;
  bool eof = false;
  std::string error;  // a decoding error

  common::SocketStream& socket() { return *socket_; }

 private:
  std::unique_ptr<common::SocketStream> socket_;
  streaming::spdy::Encoder encoder_;
  streaming::spdy::Decoder decoder_;
  std::map<uint32_t, bool> replied_;
};

class WsClient {
 public:
  static std::unique_ptr<WsClient> connect(const std::string& url,
                                           const std::vector<std::string>& protocols,
                                           HttpAnswer& answer);
  bool sendBinary(std::string_view payload);
  bool sendText(std::string_view payload);
  bool sendControl(streaming::ws::Opcode op, std::string_view payload);
  // Channel framing of the negotiated protocol (base64 when `base64`).
  bool sendChannel(uint8_t channel, std::string_view data, bool base64 = false);

  // Reads messages until `done()` or the deadline; false on a connection/protocol error.
  bool pump(const std::function<bool()>& done, StreamDeadline deadline);

  std::vector<streaming::ws::Message> messages;  // data messages in order
  std::map<uint8_t, std::string> channels;       // channel framing decoded (binary protocols)
  bool base64 = false;                           // decode text messages as base64 channels
  bool closed = false;
  uint16_t closeCode = 0;
  std::vector<std::string> pongs;
  bool eof = false;
  std::string error;

  common::SocketStream& socket() { return *socket_; }

 private:
  std::unique_ptr<common::SocketStream> socket_;
  streaming::ws::Decoder decoder_{streaming::ws::Decoder::Role::kClient, 64 << 20};
};

}  // namespace dockershim::e2e
