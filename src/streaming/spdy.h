#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dockershim/status.h"

// SPDY/3.1 framing (the chromium "SPDY Protocol - Draft 3.1" text, section 2), as kubectl and
// crictl speak it for exec, attach and port-forward. Pure data in, data out: no sockets, no
// threads, no stream state machine (which stream is open, flow-control windows) — that belongs to
// the session built on top.
namespace dockershim::streaming::spdy {

// Header names are lower-case. A value may hold several values separated by single NUL bytes
// (section 2.6.10: "To send two identically named headers, send a header with two values"); the
// codec keeps values byte for byte and leaves splitting them to the caller.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Section 2.2.1: "SPDY version 3.1, which is represented as version 3".
constexpr std::uint16_t kVersion = 3;

// Section 2.2.1: the Length field is 24 bits, so no frame carries more than this after its
// 8-byte header.
constexpr std::uint32_t kMaxFrameLength = 0xffffff;
// A DATA frame's payload is its whole Length; larger payloads are sent as several frames.
constexpr std::uint32_t kMaxDataLength = kMaxFrameLength;
// Stream ids, associated ids and window deltas are 31-bit fields next to a reserved bit.
constexpr std::uint32_t kMaxStreamId = 0x7fffffff;

// Control frame types (section 2.6). 5 (NOOP in SPDY/2) and 10 (CREDENTIAL, deprecated in 3.1)
// are not decoded: the decoder skips them like any unknown type.
constexpr std::uint16_t kTypeSynStream = 1;
constexpr std::uint16_t kTypeSynReply = 2;
constexpr std::uint16_t kTypeRstStream = 3;
constexpr std::uint16_t kTypeSettings = 4;
constexpr std::uint16_t kTypePing = 6;
constexpr std::uint16_t kTypeGoAway = 7;
constexpr std::uint16_t kTypeHeaders = 8;
constexpr std::uint16_t kTypeWindowUpdate = 9;

// Frame flags (sections 2.2.2, 2.6.1, 2.6.4).
constexpr std::uint8_t kFlagFin = 0x01;
constexpr std::uint8_t kFlagUnidirectional = 0x02;
constexpr std::uint8_t kFlagSettingsClearSettings = 0x01;
// Flags of one SETTINGS entry.
constexpr std::uint8_t kFlagSettingsPersistValue = 0x01;
constexpr std::uint8_t kFlagSettingsPersisted = 0x02;

// RST_STREAM status codes (section 2.6.3). 0 is not a valid status code; 10 is unused.
constexpr std::uint32_t kRstProtocolError = 1;
constexpr std::uint32_t kRstInvalidStream = 2;
constexpr std::uint32_t kRstRefusedStream = 3;
constexpr std::uint32_t kRstUnsupportedVersion = 4;
constexpr std::uint32_t kRstCancel = 5;
constexpr std::uint32_t kRstInternalError = 6;
constexpr std::uint32_t kRstFlowControlError = 7;
constexpr std::uint32_t kRstStreamInUse = 8;
constexpr std::uint32_t kRstStreamAlreadyClosed = 9;
constexpr std::uint32_t kRstFrameTooLarge = 11;

// GOAWAY status codes (section 2.6.6).
constexpr std::uint32_t kGoAwayOk = 0;
constexpr std::uint32_t kGoAwayProtocolError = 1;
constexpr std::uint32_t kGoAwayInternalError = 2;

// SETTINGS ids (section 2.6.4).
constexpr std::uint32_t kSettingsUploadBandwidth = 1;
constexpr std::uint32_t kSettingsDownloadBandwidth = 2;
constexpr std::uint32_t kSettingsRoundTripTime = 3;
constexpr std::uint32_t kSettingsMaxConcurrentStreams = 4;
constexpr std::uint32_t kSettingsCurrentCwnd = 5;
constexpr std::uint32_t kSettingsDownloadRetransRate = 6;
constexpr std::uint32_t kSettingsInitialWindowSize = 7;
constexpr std::uint32_t kSettingsClientCertificateVectorSize = 8;

// Section 2.6.8: streams and the connection start with a 64 KB flow-control window.
constexpr std::uint32_t kInitialWindowSize = 64 * 1024;

struct SynStream {
  std::uint32_t streamId = 0;
  std::uint32_t associatedId = 0;  // 0 when the stream is independent of all others
  std::uint8_t priority = 0;       // 3 bits: 0 highest, 7 lowest
  std::uint8_t slot = 0;           // reserved for CREDENTIAL, deprecated in 3.1
  bool fin = false;
  bool unidirectional = false;
  Headers headers;

  bool operator==(const SynStream&) const = default;
};

struct SynReply {
  std::uint32_t streamId = 0;
  bool fin = false;
  Headers headers;

  bool operator==(const SynReply&) const = default;
};

struct RstStream {
  std::uint32_t streamId = 0;
  std::uint32_t statusCode = 0;  // kRst*

  bool operator==(const RstStream&) const = default;
};

struct SettingsEntry {
  std::uint8_t flags = 0;  // kFlagSettingsPersistValue, kFlagSettingsPersisted
  std::uint32_t id = 0;    // 24 bits: kSettings*
  std::uint32_t value = 0;

  bool operator==(const SettingsEntry&) const = default;
};

struct Settings {
  bool clearPrevious = false;  // FLAG_SETTINGS_CLEAR_SETTINGS
  std::vector<SettingsEntry> entries;

  bool operator==(const Settings&) const = default;
};

struct Ping {
  std::uint32_t id = 0;  // odd from the client, even from the server

  bool operator==(const Ping&) const = default;
};

struct GoAway {
  std::uint32_t lastGoodStreamId = 0;
  std::uint32_t statusCode = 0;  // kGoAway*

  bool operator==(const GoAway&) const = default;
};

struct HeadersFrame {
  std::uint32_t streamId = 0;
  bool fin = false;
  Headers headers;

  bool operator==(const HeadersFrame&) const = default;
};

struct WindowUpdate {
  std::uint32_t streamId = 0;  // 0: the connection-level window (new in 3.1)
  std::uint32_t delta = 0;     // 1 .. 2^31-1; the Decoder passes a peer's 0 on unchanged

  bool operator==(const WindowUpdate&) const = default;
};

struct Data {
  std::uint32_t streamId = 0;
  bool fin = false;
  std::string payload;

  bool operator==(const Data&) const = default;
};

using Frame = std::variant<SynStream, SynReply, RstStream, Settings, Ping, GoAway, HeadersFrame,
                           WindowUpdate, Data>;

// The zlib dictionary that primes every header-compression context (section 2.6.10.1), 1423
// bytes.
std::string_view compressionDictionary();

// Writes frames for one direction of one connection.
//
// SPDY compresses all header blocks sent in one direction of a connection as a single zlib stream
// (section 2.6.10.1), so the Encoder owns that stream: every SYN_STREAM, SYN_REPLY and HEADERS of
// the connection must come from the same Encoder, and its bytes must reach the peer in the order
// they were produced — a header block is only decodable after all earlier ones.
//
// Every method checks its frame against what the Decoder accepts (31-bit ids, non-zero stream ids
// where the spec requires them, lower-case unique non-empty header names, 24-bit lengths) and
// returns Code::kInvalidArgument, without touching the compression state, for a frame that breaks
// them: whatever an Encoder returns, a Decoder within its limits decodes to the same frame.
//
// Not thread-safe. Movable, not copyable.
class Encoder {
 public:
  Encoder();
  ~Encoder();
  Encoder(Encoder&&) noexcept;
  Encoder& operator=(Encoder&&) noexcept;

  Result<std::string> synStream(const SynStream& frame);
  Result<std::string> synReply(const SynReply& frame);
  Result<std::string> headers(const HeadersFrame& frame);
  Result<std::string> rstStream(const RstStream& frame);
  Result<std::string> settings(const Settings& frame);
  Result<std::string> ping(const Ping& frame);
  Result<std::string> goAway(const GoAway& frame);
  Result<std::string> windowUpdate(const WindowUpdate& frame);
  // One DATA frame; its payload must not exceed kMaxDataLength. Flow control usually calls for
  // much smaller frames anyway: use dataFrames() to split a payload.
  Result<std::string> data(const Data& frame);
  // `payload` as consecutive DATA frames of at most `maxChunk` bytes (clamped to 1 ..
  // kMaxDataLength), FIN on the last one only. An empty payload gives one empty frame, which is
  // how a stream is half-closed without sending data.
  Result<std::string> dataFrames(std::uint32_t streamId, bool fin, std::string_view payload,
                                 std::size_t maxChunk = kMaxDataLength);

  // Dispatches to the method for the frame's type.
  Result<std::string> encode(const Frame& frame);

 private:
  struct Deflater;

  Result<std::string> headerFrame(std::uint16_t type, std::uint8_t flags,
                                  std::string_view fixedFields, const Headers& headers);

  std::unique_ptr<Deflater> deflater_;  // created on the first header block
  Status failure_;  // set if the zlib stream broke: the peer could not follow it any more
};

// Reads frames from one direction of one connection: the bytes one peer's Encoder wrote, in
// order. It owns the inflate stream shared by all the connection's header blocks.
//
// Input may be split anywhere; complete frames are appended to `out` as their last byte arrives,
// and up to one incomplete frame is kept between calls. Memory stays bounded by the limits:
// a frame whose Length exceeds `maxFrameLength` is refused from its 8-byte header, before any of
// its payload is buffered, and a header block is refused as soon as it inflates to more than
// `maxHeaderBlockSize` bytes (capped at 1 GiB): inflating stops there, one byte past the limit.
//
// On any protocol violation feed() returns Code::kInvalidArgument naming it. Frames decoded
// before the violation stay in `out`, and every later call fails the same way: the framing, or
// the shared compression state, can no longer be trusted (a session error, section 2.4.1, for
// which the caller sends GOAWAY and closes the connection).
//
// Unknown control frame types are skipped as they stream past, never buffered. Reserved bits and
// undefined flags are ignored.
//
// Not thread-safe. Movable, not copyable.
class Decoder {
 public:
  static constexpr std::size_t kDefaultMaxHeaderBlockSize = 256 * 1024;
  static constexpr std::size_t kDefaultMaxFrameLength = 16 * 1024 * 1024;

  explicit Decoder(std::size_t maxHeaderBlockSize = kDefaultMaxHeaderBlockSize,
                   std::size_t maxFrameLength = kDefaultMaxFrameLength);
  ~Decoder();
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;

  Status feed(std::string_view bytes, std::vector<Frame>& out);

  // True while a frame is incomplete; at end of stream this means truncation.
  bool midFrame() const { return headerLen_ > 0 || inPayload_ || skipRemaining_ > 0; }

 private:
  struct Inflater;
  static constexpr std::size_t kHeaderSize = 8;

  Status startFrame();
  Status finishFrame(std::vector<Frame>& out);
  Status decodeControl(std::string_view payload, std::vector<Frame>& out);
  Status decodeHeaderBlock(std::string_view compressed, Headers& headers);

  std::size_t maxHeaderBlockSize_;
  std::size_t maxFrameLength_;
  std::unique_ptr<Inflater> inflater_;  // created on the first header block

  unsigned char header_[kHeaderSize] = {};
  std::size_t headerLen_ = 0;
  bool inPayload_ = false;           // header parsed, payload_ filling up to length_
  std::uint32_t length_ = 0;         // Length field of the current frame
  std::string payload_;              // the current frame's payload so far
  std::uint32_t skipRemaining_ = 0;  // bytes left of an unknown control frame being skipped
  Status failure_;
};

}  // namespace dockershim::streaming::spdy
