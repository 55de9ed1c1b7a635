#pragma once

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
  ChannelSocket(common::SocketStream& socket, bool base64) : socket_(socket), base64_(base64) {}

  // One message on `channel`; a write blocks while the client is slow (bounded by a deadline).
  Status send(uint8_t channel, std::string_view data);
  Status sendControl(ws::Opcode op, std::string_view payload);
  Status sendClose(uint16_t code, std::string_view reason);
  bool base64() const { return base64_; }

  // A received data message split into channel and data (base64 decoded); INVALID_ARGUMENT
  // when it has no channel or bad base64.
  Result<std::pair<uint8_t, std::string>> decode(const ws::Message& message) const;

 private:
  common::SocketStream& socket_;
  const bool base64_;
  std::mutex writeMu_;
  bool closeSent_ = false;
};

// SPDY carried in WebSocket binary messages (client-go's "SPDY/3.1+portforward.k8s.io" tunnel):
// reads return message payloads as one byte stream; pings are answered here.
class WebSocketPipe : public BytePipe {
 public:
  explicit WebSocketPipe(common::SocketStream& socket)
      : socket_(socket), channels_(socket, false), decoder_(ws::Decoder::Role::kServer, 1 << 20) {}
  Result<size_t> read(char* data, size_t size, Deadline deadline) override;
  Status write(std::string_view data, Deadline deadline) override;
  void closeWrite() override { (void)channels_.sendClose(ws::kCloseNormal, ""); }
  void close() override { socket_.close(); }

 private:
  common::SocketStream& socket_;
  ChannelSocket channels_;  // for its serialised control frames
  ws::Decoder decoder_;
  std::string buffered_;
  bool ended_ = false;
  std::mutex writeMu_;
};

}  // namespace dockershim::streaming
