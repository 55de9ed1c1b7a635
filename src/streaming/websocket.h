#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dockershim/status.h"

// WebSocket (RFC 6455) framing and opening-handshake checks, without I/O: the streaming server
// owns the socket and the HTTP exchange, and hands this module bytes and header values.
namespace dockershim::streaming::ws {

// RFC 6455 section 4.1: the only protocol version; also the value a server sends back in
// Sec-WebSocket-Version when it refuses another one (section 4.4).
inline constexpr std::string_view kVersion = "13";

// RFC 6455 section 5.5: a control frame carries at most 125 bytes of payload.
inline constexpr std::size_t kMaxControlPayload = 125;

// RFC 6455 section 7.4.1 status codes this code base sends or reports.
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseNoStatus = 1005;  // never on the wire: "no code was sent"
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kCloseMessageTooBig = 1009;
inline constexpr std::uint16_t kCloseInternalError = 1011;

// RFC 6455 section 5.2; every other value is reserved and fails the connection.
enum class Opcode : std::uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};

// Close, ping and pong (RFC 6455 section 5.5): never fragmented, at most 125 bytes.
constexpr bool isControl(Opcode op) { return static_cast<std::uint8_t>(op) >= 8; }

// A complete data message (kText or kBinary, its fragments joined) or one control frame.
// Never kContinuation.
struct Message {
  Opcode opcode;
  std::string payload;

  bool operator==(const Message&) const = default;
};

// Decodes the frames one endpoint receives into messages, and fails the connection (RFC 6455
// section 7.1.7) on anything the RFC forbids, naming the close code to send back.
//
// Bytes may arrive split anywhere. Control frames are delivered as soon as they are complete,
// also between the fragments of a data message. Data messages are delivered whole, so one
// message is buffered up to `maxMessage` bytes; the limit is checked against each frame header
// before its payload is read, so a peer cannot make the decoder hold more than `maxMessage` +
// 125 bytes (plus 13 header bytes) whatever it announces.
//
// Leniency: RFC 6455 section 5.2 tells the *sender* to use the shortest length encoding; a
// longer one is accepted here, since it is unambiguous and the size limit bounds it anyway.
// Decoding does not stop at a Close message either: the caller stops reading once it has one.
//
// Not thread-safe.
class Decoder {
 public:
  // Which end of the connection this decoder serves. RFC 6455 section 5.1: a server fails the
  // connection on an unmasked frame, a client on a masked one.
  enum class Role { kServer, kClient };

  explicit Decoder(Role role, std::size_t maxMessage = 1 << 20);

  // Appends the messages completed by `bytes` to `out`. On a violation returns
  // Code::kInvalidArgument naming it; messages completed before it stay in `out`, and every
  // later call returns the same Status, since the framing can no longer be trusted.
  Status feed(std::string_view bytes, std::vector<Message>& out);

  bool failed() const { return !failure_.isOk(); }
  // The close code to send after a failure: kCloseProtocolError, kCloseInvalidPayload (text
  // that is not UTF-8) or kCloseMessageTooBig. 0 while the decoder has not failed.
  std::uint16_t closeCode() const { return closeCode_; }
  // True while a frame or a fragmented message is incomplete; at end of stream this means the
  // peer went away mid-message.
  bool midMessage() const { return headerLen_ > 0 || inPayload_ || messageOpen_; }
  // Payload bytes held between calls (the open message and the current control frame).
  std::size_t bufferedBytes() const { return message_.size() + control_.size(); }

 private:
  // FIN/RSV/opcode, MASK/length, up to 8 extended length bytes, up to 4 mask bytes.
  static constexpr std::size_t kMaxHeader = 14;

  Status checkBaseHeader();
  Status finishHeader();
  void readPayload(std::string_view& bytes);
  Status finishFrame(std::vector<Message>& out);
  Status fail(std::uint16_t closeCode, const std::string& what);

  Role role_;
  std::size_t maxMessage_;

  // The frame being read.
  std::array<std::uint8_t, kMaxHeader> header_{};
  std::size_t headerLen_ = 0;
  std::size_t headerNeed_ = 2;  // grows once the first two bytes tell the header's size
  bool headerSized_ = false;
  bool inPayload_ = false;
  Opcode opcode_ = Opcode::kContinuation;
  bool fin_ = false;
  bool masked_ = false;
  std::array<std::uint8_t, 4> mask_{};
  std::uint64_t payloadLen_ = 0;
  std::uint64_t payloadRead_ = 0;

  // The data message being assembled from fragments, and the current control frame's payload.
  bool messageOpen_ = false;
  Opcode messageOpcode_ = Opcode::kBinary;
  std::string message_;
  std::string control_;

  Status failure_;
  std::uint16_t closeCode_ = 0;
};

// One frame as a server sends it: unmasked (RFC 6455 section 5.1), the length in the shortest
// of the 7, 16 and 64-bit encodings. Callers keep control payloads within kMaxControlPayload
// and never fragment control frames; this function does not check.
std::string encodeFrame(Opcode op, std::string_view payload, bool fin = true);

// One frame as a client sends it, masked with `mask` (section 5.3). For test clients: a real
// client must draw each mask from a strong random source.
std::string encodeMaskedFrame(Opcode op, std::string_view payload, std::array<std::uint8_t, 4> mask,
                              bool fin = true);

// The payload of a Close frame (section 5.5.1): the big-endian code, then `reason` cut to the
// 123 bytes that fit a control frame, at a UTF-8 character boundary.
std::string closePayload(std::uint16_t code, std::string_view reason);

// Reads a Close payload the Decoder accepted: kCloseNoStatus and "" when it has no code
// (section 7.1.5); a malformed 1-byte payload reads the same.
std::pair<std::uint16_t, std::string> parseClosePayload(std::string_view payload);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (section 4.2.2):
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string acceptKey(std::string_view clientKey);

// Checks the WebSocket-specific header fields of an opening handshake (section 4.2.1) and
// returns the Sec-WebSocket-Accept value for the response. `header` returns a field's value
// (several lines joined with ", ") or "" when absent. The method (GET), the HTTP version and
// Host are the HTTP server's to check.
//
// An unsupported Sec-WebSocket-Version gives Code::kUnimplemented: section 4.4 wants
// 426 Upgrade Required with `Sec-WebSocket-Version: 13` then. Every other failure is
// Code::kInvalidArgument (400 Bad Request).
Result<std::string> validateUpgrade(
    const std::function<std::string(std::string_view name)>& header);

// The subprotocols a client offers in Sec-WebSocket-Protocol, in its order of preference
// (section 4.1): comma-separated, spaces and tabs trimmed, empty elements dropped.
std::vector<std::string> requestedProtocols(std::string_view secWebSocketProtocolHeaderValue);

// Whether `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), as section 8.1 requires of text messages and close reasons.
bool isValidUtf8(std::string_view bytes);

}  // namespace dockershim::streaming::ws
