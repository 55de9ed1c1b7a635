#include "streaming/spdy.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_set>

namespace dockershim::streaming::spdy {
namespace {

// Section 2.6.10.1 prints the dictionary as 1423 hex bytes. They are 65 strings, each preceded by
// its length as a 32-bit big-endian integer, then text without lengths. The bytes are written here
// in that shape, so that each entry can be checked against the spec by eye, and built at compile
// time; the unit test pins the size and the Adler-32 checksum (the DICTID that every zlib stream
// primed with it carries in its header).
// clang-format off
constexpr std::string_view kLengthPrefixed[] = {
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
    "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
    "cache-control", "connection", "content-base", "content-encoding", "content-language",
    "content-length", "content-location", "content-md5", "content-range", "content-type",
    "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
    "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK",
    "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
};

constexpr std::string_view kPlainText[] = {
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
    "203 Non-Authoritative Information",
    "204 No Content",
    "301 Moved Permanently",
    "400 Bad Request",
    "401 Unauthorized",
    "403 Forbidden",
    "404 Not Found",
    "500 Internal Server Error",
    "501 Not Implemented",
    "503 Service Unavailable",
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec ",
    "00:00:00 ",
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,",
    "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch",
    "charset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
};
// clang-format on

constexpr std::size_t dictionarySize() {
  std::size_t size = 0;
  for (std::string_view s : kLengthPrefixed) size += 4 + s.size();
  for (std::string_view s : kPlainText) size += s.size();
  return size;
}

constexpr std::array<char, dictionarySize()> buildDictionary() {
  std::array<char, dictionarySize()> dict{};
  std::size_t i = 0;
  for (std::string_view s : kLengthPrefixed) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      dict[i++] = static_cast<char>((s.size() >> shift) & 0xff);
    }
    for (char c : s) dict[i++] = c;
  }
  for (std::string_view s : kPlainText) {
    for (char c : s) dict[i++] = c;
  }
  return dict;
}

constexpr auto kDictionary = buildDictionary();
static_assert(kDictionary.size() == 1423, "SPDY/3 draft 2.6.10.1: the dictionary is 1423 bytes");

// The fixed part of each control frame type the decoder understands (section 2.6): the exact
// length of the frame, or the length before the variable part (a header block, SETTINGS entries).
struct Layout {
  std::uint32_t minLength;
  bool exact;
};

std::optional<Layout> controlLayout(std::uint32_t type) {
  switch (type) {
    case kTypeSynStream:
      return Layout{10, false};  // ids, priority, slot, header block
    case kTypeSynReply:
    case kTypeHeaders:
      return Layout{4, false};  // stream id, header block
    case kTypeSettings:
      return Layout{4, false};  // entry count, entries
    case kTypePing:
      return Layout{4, true};
    case kTypeRstStream:
    case kTypeGoAway:
    case kTypeWindowUpdate:
      return Layout{8, true};
    default:
      return std::nullopt;
  }
}

// Section 2.6.10: each pair takes at least its two 32-bit lengths.
constexpr std::size_t kMinPairSize = 8;

Status invalid(std::string message) {
  return errorStatus(Code::kInvalidArgument, "spdy: " + std::move(message));
}

// Header names come from the peer: quote a bounded, printable excerpt in messages.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  for (char c : s.substr(0, kMax)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > kMax) out += "...";
  return out + "\"";
}

const char* controlTypeName(std::uint16_t type) {
  switch (type) {
    case kTypeSynStream:
      return "SYN_STREAM";
    case kTypeSynReply:
      return "SYN_REPLY";
    case kTypeRstStream:
      return "RST_STREAM";
    case kTypeSettings:
      return "SETTINGS";
    case kTypePing:
      return "PING";
    case kTypeGoAway:
      return "GOAWAY";
    case kTypeHeaders:
      return "HEADERS";
    case kTypeWindowUpdate:
      return "WINDOW_UPDATE";
    default:
      return "unknown";
  }
}

void putU8(std::string& out, std::uint32_t v) { out.push_back(static_cast<char>(v & 0xff)); }

void putU16(std::string& out, std::uint32_t v) {
  putU8(out, v >> 8);
  putU8(out, v);
}

void putU24(std::string& out, std::uint32_t v) {
  putU8(out, v >> 16);
  putU16(out, v);
}

void putU32(std::string& out, std::uint32_t v) {
  putU16(out, v >> 16);
  putU16(out, v);
}

std::uint32_t readU16(const unsigned char* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t readU24(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 16) | readU16(p + 1);
}
std::uint32_t readU32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | readU24(p + 1);
}

std::uint32_t readU32(std::string_view s, std::size_t at) {
  return readU32(reinterpret_cast<const unsigned char*>(s.data()) + at);
}

// Section 2.2.1: C bit, 15-bit version, 16-bit type, flags, 24-bit length.
std::string controlHeader(std::uint16_t type, std::uint8_t flags, std::uint32_t length) {
  std::string out;
  out.reserve(8 + length);
  putU16(out, 0x8000 | kVersion);
  putU16(out, type);
  putU8(out, flags);
  putU24(out, length);
  return out;
}

Status checkId(std::uint32_t id, const char* field, bool zeroAllowed) {
  if (id > kMaxStreamId) return invalid(std::string(field) + " does not fit in 31 bits");
  // Section 2.3.2: "0 is not a valid Stream-ID".
  if (id == 0 && !zeroAllowed) return invalid(std::string(field) + " 0 is not a valid stream id");
  return Status::ok();
}

// Section 2.6.10: names are non-empty, lower case and unique ("Duplicate header names are not
// allowed"; repeated headers travel as one NUL-separated value), and exclude the NUL byte.
Status checkHeaderNames(const Headers& headers) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    if (name.empty()) return invalid("empty header name");
    if (name.find('\0') != std::string::npos) {
      return invalid("header name " + quoted(name) + " contains a NUL byte");
    }
    if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return invalid("header name " + quoted(name) + " is not lower case");
    }
    if (!seen.insert(name).second) return invalid("duplicate header name " + quoted(name));
  }
  return Status::ok();
}

}  // namespace

std::string_view compressionDictionary() { return {kDictionary.data(), kDictionary.size()}; }

// ---------------------------------------------------------------------------------------------
// Encoder

struct Encoder::Deflater {
  z_stream z{};
  bool initialized = false;

  ~Deflater() {
    if (initialized) deflateEnd(&z);
  }
};

Encoder::Encoder() = default;
Encoder::~Encoder() = default;
Encoder::Encoder(Encoder&&) noexcept = default;
Encoder& Encoder::operator=(Encoder&&) noexcept = default;

Result<std::string> Encoder::headerFrame(std::uint16_t type, std::uint8_t flags,
                                         std::string_view fixedFields, const Headers& headers) {
  if (!failure_.isOk()) return failure_;
  if (Status s = checkHeaderNames(headers); !s.isOk()) return s;

  // Checked before deflating so that a refused frame leaves the shared zlib stream untouched.
  // Deflate adds at most ~0.03% to incompressible input (zlib's deflateBound), so with this margin
  // the compressed block always fits the 24-bit length.
  std::size_t rawSize = 4;
  for (const auto& [name, value] : headers) rawSize += kMinPairSize + name.size() + value.size();
  if (rawSize + rawSize / 1024 + 64 + fixedFields.size() > kMaxFrameLength) {
    return invalid(std::string(controlTypeName(type)) + " header block of " +
                   std::to_string(rawSize) + " bytes is too large for one frame");
  }
  std::string raw;
  raw.reserve(rawSize);
  putU32(raw, static_cast<std::uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    putU32(raw, static_cast<std::uint32_t>(name.size()));
    raw += name;
    putU32(raw, static_cast<std::uint32_t>(value.size()));
    raw += value;
  }

  if (!deflater_) {
    auto d = std::make_unique<Deflater>();
    if (deflateInit2(&d->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return errorStatus(Code::kResourceExhausted, "spdy: cannot start header compression");
    }
    d->initialized = true;
    if (deflateSetDictionary(&d->z, reinterpret_cast<const Bytef*>(kDictionary.data()),
                             kDictionary.size()) != Z_OK) {
      return errorStatus(Code::kInternal, "spdy: cannot set the header compression dictionary");
    }
    deflater_ = std::move(d);
  }

  z_stream& z = deflater_->z;
  std::string compressed(rawSize + rawSize / 1024 + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  std::size_t produced = 0;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(compressed.data() + produced);
    z.avail_out = static_cast<uInt>(compressed.size() - produced);
    int rc = deflate(&z, Z_SYNC_FLUSH);  // section 2.6.10.1: SYNC_FLUSH after each block
    produced = compressed.size() - z.avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      failure_ = errorStatus(Code::kInternal, "spdy: header compression failed");
      return failure_;
    }
    // zlib: with avail_out left over, the flush is complete.
    if (z.avail_out != 0 && z.avail_in == 0) break;
    compressed.resize(compressed.size() * 2);
  }
  compressed.resize(produced);
  if (fixedFields.size() + compressed.size() > kMaxFrameLength) {
    // Unreachable given the margin above; but the block is in the zlib history now, and a peer
    // that never receives it cannot decode any later one.
    failure_ = errorStatus(Code::kInternal, "spdy: compressed header block overflowed a frame");
    return failure_;
  }

  std::string out = controlHeader(
      type, flags, static_cast<std::uint32_t>(fixedFields.size() + compressed.size()));
  out += fixedFields;
  out += compressed;
  return out;
}

Result<std::string> Encoder::synStream(const SynStream& frame) {
  if (Status s = checkId(frame.streamId, "SYN_STREAM stream id", false); !s.isOk()) return s;
  if (Status s = checkId(frame.associatedId, "SYN_STREAM associated stream id", true); !s.isOk()) {
    return s;
  }
  if (frame.priority > 7) return invalid("SYN_STREAM priority above 7");
  std::string fixed;
  putU32(fixed, frame.streamId);
  putU32(fixed, frame.associatedId);
  putU8(fixed, frame.priority << 5);  // 3 bits of priority, then 5 unused bits
  putU8(fixed, frame.slot);
  std::uint8_t flags =
      (frame.fin ? kFlagFin : 0) | (frame.unidirectional ? kFlagUnidirectional : 0);
  return headerFrame(kTypeSynStream, flags, fixed, frame.headers);
}

Result<std::string> Encoder::synReply(const SynReply& frame) {
  if (Status s = checkId(frame.streamId, "SYN_REPLY stream id", false); !s.isOk()) return s;
  std::string fixed;
  putU32(fixed, frame.streamId);
  return headerFrame(kTypeSynReply, frame.fin ? kFlagFin : 0, fixed, frame.headers);
}

Result<std::string> Encoder::headers(const HeadersFrame& frame) {
  if (Status s = checkId(frame.streamId, "HEADERS stream id", false); !s.isOk()) return s;
  std::string fixed;
  putU32(fixed, frame.streamId);
  return headerFrame(kTypeHeaders, frame.fin ? kFlagFin : 0, fixed, frame.headers);
}

Result<std::string> Encoder::rstStream(const RstStream& frame) {
  if (Status s = checkId(frame.streamId, "RST_STREAM stream id", false); !s.isOk()) return s;
  // Section 2.6.3: "0 is not a valid status code for a RST_STREAM".
  if (frame.statusCode == 0) return invalid("RST_STREAM status code 0 is not valid");
  std::string out = controlHeader(kTypeRstStream, 0, 8);
  putU32(out, frame.streamId);
  putU32(out, frame.statusCode);
  return out;
}

Result<std::string> Encoder::settings(const Settings& frame) {
  if (frame.entries.size() > (kMaxFrameLength - 4) / 8) {
    return invalid("SETTINGS with " + std::to_string(frame.entries.size()) +
                   " entries does not fit in one frame");
  }
  std::string out =
      controlHeader(kTypeSettings, frame.clearPrevious ? kFlagSettingsClearSettings : 0,
                    static_cast<std::uint32_t>(4 + 8 * frame.entries.size()));
  putU32(out, static_cast<std::uint32_t>(frame.entries.size()));
  for (const SettingsEntry& e : frame.entries) {
    if (e.id > 0xffffff) return invalid("SETTINGS id " + std::to_string(e.id) + " exceeds 24 bits");
    putU8(out, e.flags);
    putU24(out, e.id);
    putU32(out, e.value);
  }
  return out;
}

Result<std::string> Encoder::ping(const Ping& frame) {
  std::string out = controlHeader(kTypePing, 0, 4);
  putU32(out, frame.id);
  return out;
}

Result<std::string> Encoder::goAway(const GoAway& frame) {
  // Section 2.6.6: 0 when no stream was accepted.
  if (Status s = checkId(frame.lastGoodStreamId, "GOAWAY last-good-stream-id", true); !s.isOk()) {
    return s;
  }
  std::string out = controlHeader(kTypeGoAway, 0, 8);
  putU32(out, frame.lastGoodStreamId);
  putU32(out, frame.statusCode);
  return out;
}

Result<std::string> Encoder::windowUpdate(const WindowUpdate& frame) {
  // Section 2.6.8: stream 0 is the connection window; the delta's legal range is 1 to 2^31 - 1.
  if (Status s = checkId(frame.streamId, "WINDOW_UPDATE stream id", true); !s.isOk()) return s;
  if (frame.delta == 0 || frame.delta > kMaxStreamId) {
    return invalid("WINDOW_UPDATE delta " + std::to_string(frame.delta) +
                   " is outside 1 .. 2^31-1");
  }
  std::string out = controlHeader(kTypeWindowUpdate, 0, 8);
  putU32(out, frame.streamId);
  putU32(out, frame.delta);
  return out;
}

Result<std::string> Encoder::data(const Data& frame) {
  if (Status s = checkId(frame.streamId, "DATA stream id", false); !s.isOk()) return s;
  if (frame.payload.size() > kMaxDataLength) {
    return invalid("DATA payload of " + std::to_string(frame.payload.size()) +
                   " bytes exceeds one frame; split it with dataFrames()");
  }
  // Section 2.2.2: C bit 0 and the stream id, flags, 24-bit length.
  std::string out;
  out.reserve(8 + frame.payload.size());
  putU32(out, frame.streamId);
  putU8(out, frame.fin ? kFlagFin : 0);
  putU24(out, static_cast<std::uint32_t>(frame.payload.size()));
  out += frame.payload;
  return out;
}

Result<std::string> Encoder::dataFrames(std::uint32_t streamId, bool fin, std::string_view payload,
                                        std::size_t maxChunk) {
  if (Status s = checkId(streamId, "DATA stream id", false); !s.isOk()) return s;
  maxChunk = std::clamp<std::size_t>(maxChunk, 1, kMaxDataLength);
  std::string out;
  out.reserve(payload.size() + 8 * (payload.size() / maxChunk + 1));
  do {
    std::size_t take = std::min(payload.size(), maxChunk);
    bool last = take == payload.size();
    putU32(out, streamId);
    putU8(out, last && fin ? kFlagFin : 0);
    putU24(out, static_cast<std::uint32_t>(take));
    out += payload.substr(0, take);
    payload.remove_prefix(take);
  } while (!payload.empty());
  return out;
}

Result<std::string> Encoder::encode(const Frame& frame) {
  if (auto* f = std::get_if<SynStream>(&frame)) return synStream(*f);
  if (auto* f = std::get_if<SynReply>(&frame)) return synReply(*f);
  if (auto* f = std::get_if<RstStream>(&frame)) return rstStream(*f);
  if (auto* f = std::get_if<Settings>(&frame)) return settings(*f);
  if (auto* f = std::get_if<Ping>(&frame)) return ping(*f);
  if (auto* f = std::get_if<GoAway>(&frame)) return goAway(*f);
  if (auto* f = std::get_if<HeadersFrame>(&frame)) return headers(*f);
  if (auto* f = std::get_if<WindowUpdate>(&frame)) return windowUpdate(*f);
  return data(std::get<Data>(frame));
}

// ---------------------------------------------------------------------------------------------
// Decoder

struct Decoder::Inflater {
  z_stream z{};
  bool initialized = false;
  bool ended = false;  // the peer finished its zlib stream: no later block can be decoded

  ~Inflater() {
    if (initialized) inflateEnd(&z);
  }
};

// zlib counts buffer space in 32 bits; no header block needs more than 1 GiB.
Decoder::Decoder(std::size_t maxHeaderBlockSize, std::size_t maxFrameLength)
    : maxHeaderBlockSize_(std::min<std::size_t>(maxHeaderBlockSize, std::size_t{1} << 30)),
      maxFrameLength_(maxFrameLength) {}
Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

Status Decoder::feed(std::string_view bytes, std::vector<Frame>& out) {
  if (!failure_.isOk()) return failure_;
  for (;;) {
    if (skipRemaining_ > 0) {
      std::size_t take = std::min<std::size_t>(skipRemaining_, bytes.size());
      skipRemaining_ -= static_cast<std::uint32_t>(take);
      bytes.remove_prefix(take);
      if (skipRemaining_ > 0) break;
      continue;
    }
    if (inPayload_) {
      std::size_t take = std::min<std::size_t>(length_ - payload_.size(), bytes.size());
      payload_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (payload_.size() < length_) break;
      inPayload_ = false;
      if (Status s = finishFrame(out); !s.isOk()) return failure_ = s;
      continue;
    }
    if (bytes.empty()) break;
    std::size_t take = std::min(kHeaderSize - headerLen_, bytes.size());
    std::copy_n(bytes.begin(), take, header_ + headerLen_);
    headerLen_ += take;
    bytes.remove_prefix(take);
    if (headerLen_ < kHeaderSize) break;
    headerLen_ = 0;
    if (Status s = startFrame(); !s.isOk()) return failure_ = s;
  }
  return Status::ok();
}

Status Decoder::startFrame() {
  length_ = readU24(header_ + 5);
  if (header_[0] & 0x80) {
    std::uint32_t version = readU16(header_) & 0x7fff;
    if (version != kVersion) {
      return invalid("control frame of version " + std::to_string(version) + ", want " +
                     std::to_string(kVersion));
    }
    std::uint32_t type = readU16(header_ + 2);
    std::optional<Layout> layout = controlLayout(type);
    if (!layout) {
      // Section 2.6 lists the types a receiver understands; others (CREDENTIAL, deprecated in
      // 3.1, among them) are passed over without holding their bytes.
      skipRemaining_ = length_;
      return Status::ok();
    }
    if (length_ < layout->minLength || (layout->exact && length_ != layout->minLength)) {
      return invalid(std::string(controlTypeName(type)) + " frame of length " +
                     std::to_string(length_) + ", want " + (layout->exact ? "" : "at least ") +
                     std::to_string(layout->minLength));
    }
    // A compressed header block never needs much more room than its decompressed limit
    // (deflate's worst case adds about 5 bytes per 16 KiB): a larger one is refused from the
    // frame header, before any of it is buffered.
    if (type == kTypeSynStream || type == kTypeSynReply || type == kTypeHeaders) {
      const std::size_t maxCompressed = maxHeaderBlockSize_ + maxHeaderBlockSize_ / 1024 + 64;
      if (length_ - layout->minLength > maxCompressed) {
        return invalid(std::string(controlTypeName(type)) + " header block of " +
                       std::to_string(length_ - layout->minLength) +
                       " bytes exceeds the limit of " + std::to_string(maxCompressed) + " bytes");
      }
    }
  } else if ((readU32(header_) & kMaxStreamId) == 0) {
    return invalid("DATA frame on stream 0");
  }
  if (length_ > maxFrameLength_) {
    return invalid("frame length " + std::to_string(length_) + " exceeds the limit of " +
                   std::to_string(maxFrameLength_) + " bytes");
  }
  inPayload_ = true;
  payload_.clear();
  return Status::ok();
}

Status Decoder::finishFrame(std::vector<Frame>& out) {
  std::string payload = std::move(payload_);
  payload_ = std::string();
  if (header_[0] & 0x80) return decodeControl(payload, out);
  out.push_back(
      Data{readU32(header_) & kMaxStreamId, (header_[4] & kFlagFin) != 0, std::move(payload)});
  return Status::ok();
}

Status Decoder::decodeControl(std::string_view p, std::vector<Frame>& out) {
  const std::uint32_t type = readU16(header_ + 2);
  const std::uint8_t flags = header_[4];
  const bool fin = (flags & kFlagFin) != 0;
  // Reserved bits ahead of 31-bit ids are ignored on receipt.
  auto streamId = [&](std::size_t at) { return readU32(p, at) & kMaxStreamId; };
  auto requireStream = [&](std::uint32_t id) {
    if (id != 0) return Status::ok();
    return invalid(std::string(controlTypeName(type)) + " frame on stream 0");
  };

  switch (type) {
    case kTypeSynStream: {
      SynStream f;
      f.streamId = streamId(0);
      if (Status s = requireStream(f.streamId); !s.isOk()) return s;
      f.associatedId = streamId(4);
      f.priority = static_cast<std::uint8_t>(static_cast<unsigned char>(p[8]) >> 5);
      f.slot = static_cast<std::uint8_t>(p[9]);
      f.fin = fin;
      f.unidirectional = (flags & kFlagUnidirectional) != 0;
      if (Status s = decodeHeaderBlock(p.substr(10), f.headers); !s.isOk()) return s;
      out.push_back(std::move(f));
      return Status::ok();
    }
    case kTypeSynReply:
    case kTypeHeaders: {
      std::uint32_t id = streamId(0);
      if (Status s = requireStream(id); !s.isOk()) return s;
      Headers headers;
      if (Status s = decodeHeaderBlock(p.substr(4), headers); !s.isOk()) return s;
      if (type == kTypeSynReply) {
        out.push_back(SynReply{id, fin, std::move(headers)});
      } else {
        out.push_back(HeadersFrame{id, fin, std::move(headers)});
      }
      return Status::ok();
    }
    case kTypeRstStream: {
      RstStream f{streamId(0), readU32(p, 4)};
      if (Status s = requireStream(f.streamId); !s.isOk()) return s;
      if (f.statusCode == 0) return invalid("RST_STREAM with status code 0");
      out.push_back(f);
      return Status::ok();
    }
    case kTypeSettings: {
      std::uint32_t count = readU32(p, 0);
      if ((p.size() - 4) / 8 != count || (p.size() - 4) % 8 != 0) {
        return invalid("SETTINGS frame of length " + std::to_string(p.size()) + " cannot hold " +
                       std::to_string(count) + " entries");
      }
      Settings f;
      f.clearPrevious = (flags & kFlagSettingsClearSettings) != 0;
      f.entries.reserve(count);
      for (std::size_t at = 4; at < p.size(); at += 8) {
        f.entries.push_back(SettingsEntry{static_cast<std::uint8_t>(p[at]),
                                          readU32(p, at) & 0xffffff, readU32(p, at + 4)});
      }
      out.push_back(std::move(f));
      return Status::ok();
    }
    case kTypePing:
      out.push_back(Ping{readU32(p, 0)});
      return Status::ok();
    case kTypeGoAway:
      out.push_back(GoAway{streamId(0), readU32(p, 4)});
      return Status::ok();
    case kTypeWindowUpdate:
      // A zero delta is outside the legal range but harmless: flow control is the caller's.
      out.push_back(WindowUpdate{streamId(0), readU32(p, 4) & kMaxStreamId});
      return Status::ok();
    default:
      return errorStatus(Code::kInternal,
                         "spdy: control type " + std::to_string(type) + " reached the decoder");
  }
}

Status Decoder::decodeHeaderBlock(std::string_view compressed, Headers& headers) {
  headers.clear();
  // HEADERS "minimum length ... is 4 (when the number of name value pairs is 0)" (2.6.7): an
  // absent block is an empty one, and leaves the zlib stream alone.
  if (compressed.empty()) return Status::ok();

  if (!inflater_) {
    auto inf = std::make_unique<Inflater>();
    // 15 window bits accept whatever window the peer's compressor chose (2.6.10.1).
    if (inflateInit2(&inf->z, 15) != Z_OK) {
      return errorStatus(Code::kResourceExhausted, "spdy: cannot start header decompression");
    }
    inf->initialized = true;
    inflater_ = std::move(inf);
  }
  if (inflater_->ended) return invalid("header block after the end of the compression stream");

  // The output buffer grows to at most one byte past the limit, so a block that inflates beyond
  // the limit is caught without inflating more of it: a small block of a long run of zeros costs
  // at most maxHeaderBlockSize_ + 1 bytes.
  const std::size_t cap = maxHeaderBlockSize_ + 1;
  std::string raw(std::min(cap, std::max<std::size_t>(1024, compressed.size() * 4)), '\0');
  z_stream& z = inflater_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::size_t produced = 0;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(raw.data() + produced);
    z.avail_out = static_cast<uInt>(raw.size() - produced);
    int rc = inflate(&z, Z_SYNC_FLUSH);
    produced = raw.size() - z.avail_out;
    if (produced > maxHeaderBlockSize_) {
      return invalid("header block decompresses to more than " +
                     std::to_string(maxHeaderBlockSize_) + " bytes");
    }
    if (rc == Z_NEED_DICT) {
      // zlib checks the stream's DICTID against the dictionary's Adler-32.
      if (inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(kDictionary.data()),
                               kDictionary.size()) != Z_OK) {
        return invalid("header block compressed with another dictionary");
      }
      continue;
    }
    if (rc == Z_STREAM_END) {
      inflater_->ended = true;
      if (z.avail_in != 0) return invalid("bytes after the end of the header compression stream");
      break;
    }
    if (rc == Z_MEM_ERROR) {
      return errorStatus(Code::kResourceExhausted, "spdy: out of memory inflating headers");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return invalid(std::string("corrupt header block: ") + (z.msg ? z.msg : "zlib error"));
    }
    if (z.avail_out == 0) {
      raw.resize(std::min(cap, raw.size() * 2));
      continue;
    }
    // Output space left over: inflate has consumed all it could. Input left over with no progress
    // would be a zlib bug; stop rather than spin.
    if (z.avail_in != 0) return invalid("corrupt header block: inflate stalled");
    break;
  }
  raw.resize(produced);

  // Section 2.6.10: count, then per pair a 32-bit name length, name, 32-bit value length, value.
  // Each length is checked against the bytes that remain, never added to an offset first.
  std::string_view rest = raw;
  auto takeU32 = [&](std::uint32_t& v) {
    if (rest.size() < 4) return false;
    v = readU32(rest, 0);
    rest.remove_prefix(4);
    return true;
  };
  std::uint32_t count = 0;
  if (!takeU32(count)) return invalid("header block too short for its pair count");
  if (count > rest.size() / kMinPairSize) {
    return invalid("header block claims " + std::to_string(count) + " pairs in " +
                   std::to_string(rest.size()) + " bytes");
  }
  headers.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t nameLen = 0;
    std::uint32_t valueLen = 0;
    if (!takeU32(nameLen) || nameLen > rest.size()) {
      return invalid("header name " + std::to_string(i) + " runs past the end of the block");
    }
    std::string_view name = rest.substr(0, nameLen);
    rest.remove_prefix(nameLen);
    if (!takeU32(valueLen) || valueLen > rest.size()) {
      return invalid("header value of " + quoted(name) + " runs past the end of the block");
    }
    headers.emplace_back(std::string(name), std::string(rest.substr(0, valueLen)));
    rest.remove_prefix(valueLen);
  }
  if (!rest.empty()) {
    return invalid(std::to_string(rest.size()) + " bytes after the last header pair");
  }
  return checkHeaderNames(headers);
}

}  // namespace dockershim::streaming::spdy
