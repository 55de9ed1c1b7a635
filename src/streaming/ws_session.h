#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "common/socket_stream.h"
#include "dockershim/status.h"
#include "streaming/session.h"
#include "streaming/websocket.h"

namespace dockershim::streaming {

// The Kubernetes channel framing over WebSocket: every message starts with its channel number;
// in the base64 protocols the message is text, the channel an ASCII digit and the data base64.
// Writes from several threads are serialised.
class ChannelSocket {
 public:
  // `writeTimeout`: how long one write may wait for a client that does not read (0: no limit).
  // A write that fails breaks the socket for good: half a frame cannot be followed by another.
  ChannelSocket(common::SocketStream& socket, bool base64,
                std::chrono::milliseconds writeTimeout = std::chrono::minutes(1))
      : socket_(socket), base64_(base64), writeTimeout_(writeTimeout) {}

  // One message on `channel`; a write blocks while the client is slow.
  Status send(uint8_t channel, std::string_view data);
  // One frame of any kind (binary data of the SPDY tunnel, pong).
  Status sendFrame(ws::Opcode op, std::string_view payload);
  Status sendClose(uint16_t code, std::string_view reason);
  bool base64() const { return base64_; }
  bool closeSent() const;

  // A received data message split into channel and data (base64 decoded); INVALID_ARGUMENT
  // when it has no channel or bad base64.
  Result<std::pair<uint8_t, std::string>> decode(const ws::Message& message) const;

 private:
  Status writeLocked(const std::string& frame, Deadline deadline);  // with writeMu_ held

  common::SocketStream& socket_;
  const bool base64_;
  const std::chrono::milliseconds writeTimeout_;
  mutable std::mutex writeMu_;
  bool closeSent_ = false;
  bool broken_ = false;
};

// After our Close frame: our side is shut, the client gets up to two seconds to read everything
// and hang up (so queued output is not lost to a reset), then the socket is closed.
void lingerAndClose(common::SocketStream& socket);

// SPDY carried in WebSocket binary messages (client-go's "SPDY/3.1+portforward.k8s.io" tunnel):
// reads return message payloads as one byte stream; pings are answered here.
class WebSocketPipe : public BytePipe {
 public:
  WebSocketPipe(common::SocketStream& socket, std::chrono::milliseconds writeTimeout)
      : socket_(socket),
        channels_(socket, false, writeTimeout),
        decoder_(ws::Decoder::Role::kServer, 1 << 20) {}
  Result<size_t> read(char* data, size_t size, Deadline deadline) override;
  Status write(std::string_view data, Deadline deadline) override;
  void closeWrite() override { (void)channels_.sendClose(ws::kCloseNormal, ""); }
  void close() override { socket_.close(); }
  bool peerClosed() const override { return socket_.peerClosed(); }

 private:
  common::SocketStream& socket_;
  ChannelSocket channels_;  // every frame goes through its one write lock
  ws::Decoder decoder_;
  std::string buffered_;
  bool ended_ = false;
};

}  // namespace dockershim::streaming
