#include "streaming/websocket.h"

#include <algorithm>

#include "common/base64.h"
#include "common/sha1.h"

namespace dockershim::streaming::ws {
namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;  // RSV1-3
constexpr std::uint8_t kOpcodeBits = 0x0f;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::uint8_t kLengthBits = 0x7f;
constexpr std::uint8_t kLength16 = 126;
constexpr std::uint8_t kLength64 = 127;

bool isKnownOpcode(std::uint8_t op) {
  return op <= static_cast<std::uint8_t>(Opcode::kBinary) ||
         (op >= static_cast<std::uint8_t>(Opcode::kClose) &&
          op <= static_cast<std::uint8_t>(Opcode::kPong));
}

// RFC 6455 section 7.4: codes a peer may put in a Close frame. 1004-1006 and 1015 are reserved
// or local-only (section 7.4.1); 1012-1014 were registered with IANA after the RFC; the rest of
// 1000-2999 is reserved for the protocol (section 7.4.2), so receiving it is an error. 3000-4999
// belong to libraries and applications.
bool isValidCloseCode(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

std::string frameHeader(Opcode op, std::size_t length, bool fin, bool masked) {
  std::string out;
  out.push_back(static_cast<char>((fin ? kFin : 0) | static_cast<std::uint8_t>(op)));
  std::uint8_t maskBit = masked ? kMaskBit : 0;
  if (length < kLength16) {
    out.push_back(static_cast<char>(maskBit | length));
  } else if (length <= 0xffff) {
    out.push_back(static_cast<char>(maskBit | kLength16));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xff));
  } else {
    out.push_back(static_cast<char>(maskBit | kLength64));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(length) >> shift) & 0xff));
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  std::size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  std::size_t end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// Splits a comma-separated header value (RFC 7230 section 7 list syntax), trimmed, no empties.
std::vector<std::string_view> listElements(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    std::size_t comma = value.find(',');
    std::string_view element = trim(value.substr(0, comma));
    if (!element.empty()) out.push_back(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

bool hasToken(std::string_view value, std::string_view token) {
  auto elements = listElements(value);
  return std::any_of(elements.begin(), elements.end(),
                     [&](std::string_view e) { return equalsIgnoreCase(e, token); });
}

}  // namespace

Decoder::Decoder(Role role, std::size_t maxMessage) : role_(role), maxMessage_(maxMessage) {}

Status Decoder::feed(std::string_view bytes, std::vector<Message>& out) {
  if (failed()) return failure_;
  while (!bytes.empty()) {
    if (inPayload_) {
      readPayload(bytes);
      if (payloadRead_ == payloadLen_) {
        if (Status s = finishFrame(out); !s.isOk()) return s;
      }
      continue;
    }
    std::size_t take = std::min(headerNeed_ - headerLen_, bytes.size());
    std::copy_n(bytes.begin(), take, header_.begin() + headerLen_);
    headerLen_ += take;
    bytes.remove_prefix(take);
    if (headerLen_ < headerNeed_) break;
    // The first two bytes are checked before the rest arrives: they hold most violations, and
    // they size the remainder of the header.
    if (!headerSized_) {
      if (Status s = checkBaseHeader(); !s.isOk()) return s;
      headerSized_ = true;
      if (headerLen_ < headerNeed_) continue;
    }
    if (Status s = finishHeader(); !s.isOk()) return s;
    // An empty frame is complete with its header: nothing else would finish it.
    if (payloadLen_ == 0) {
      if (Status s = finishFrame(out); !s.isOk()) return s;
    }
  }
  return Status::ok();
}

Status Decoder::checkBaseHeader() {
  std::uint8_t b0 = header_[0];
  std::uint8_t b1 = header_[1];
  std::uint8_t op = b0 & kOpcodeBits;
  // Section 5.2: non-zero RSV bits need an extension that defines them, and none is negotiated.
  if (b0 & kReservedBits) return fail(kCloseProtocolError, "reserved bits RSV1-3 set");
  if (!isKnownOpcode(op)) return fail(kCloseProtocolError, "unknown opcode " + std::to_string(op));
  opcode_ = static_cast<Opcode>(op);
  fin_ = (b0 & kFin) != 0;
  masked_ = (b1 & kMaskBit) != 0;
  std::uint8_t len7 = b1 & kLengthBits;
  if (isControl(opcode_)) {
    // Section 5.5: control frames are short and whole, so they can sit between fragments.
    if (!fin_) return fail(kCloseProtocolError, "fragmented control frame");
  } else if (opcode_ == Opcode::kContinuation) {
    // Section 5.4: fragments of one message follow each other, opened by a text/binary frame.
    if (!messageOpen_) return fail(kCloseProtocolError, "continuation frame without a message");
  } else if (messageOpen_) {
    return fail(kCloseProtocolError, "new data frame while a fragmented message is open");
  }
  // Section 5.1: clients mask every frame, servers none.
  if (role_ == Role::kServer && !masked_) return fail(kCloseProtocolError, "unmasked client frame");
  if (role_ == Role::kClient && masked_) return fail(kCloseProtocolError, "masked server frame");
  headerNeed_ = 2 + (len7 == kLength16 ? 2 : len7 == kLength64 ? 8 : 0) + (masked_ ? 4 : 0);
  return Status::ok();
}

Status Decoder::finishHeader() {
  std::uint8_t len7 = header_[1] & kLengthBits;
  std::size_t pos = 2;
  std::uint64_t length = len7;
  if (len7 == kLength16 || len7 == kLength64) {
    std::size_t n = len7 == kLength16 ? 2 : 8;
    length = 0;
    for (std::size_t i = 0; i < n; ++i) length = (length << 8) | header_[pos + i];
    pos += n;
    if (n == 8 && (length >> 63) != 0) {
      return fail(kCloseProtocolError, "64-bit payload length with the most significant bit set");
    }
  }
  if (isControl(opcode_)) {
    // Section 5.5. The decoded length, not the 7-bit field, so that a longer encoding of a short
    // length is accepted here as it is for data frames.
    if (length > kMaxControlPayload) {
      return fail(kCloseProtocolError, "control frame payload over 125 bytes");
    }
    control_.clear();
  } else {
    // Checked before any payload is buffered, so an announced length never costs memory.
    std::size_t held = opcode_ == Opcode::kContinuation ? message_.size() : 0;
    if (length > maxMessage_ - held) {
      return fail(kCloseMessageTooBig, "message over the " + std::to_string(maxMessage_) +
                                           "-byte limit (" + std::to_string(held) +
                                           " bytes held, frame of " + std::to_string(length) + ")");
    }
    if (opcode_ != Opcode::kContinuation) {
      messageOpen_ = true;
      messageOpcode_ = opcode_;
      message_.clear();
    }
  }
  if (masked_) std::copy_n(header_.begin() + pos, 4, mask_.begin());
  payloadLen_ = length;
  payloadRead_ = 0;
  headerLen_ = 0;
  headerNeed_ = 2;
  headerSized_ = false;
  inPayload_ = true;
  return Status::ok();
}

void Decoder::readPayload(std::string_view& bytes) {
  std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(payloadLen_ - payloadRead_, bytes.size()));
  std::string& target = isControl(opcode_) ? control_ : message_;
  std::size_t start = target.size();
  target.append(bytes.substr(0, take));
  if (masked_) {
    // Section 5.3: byte i of the payload is XORed with mask byte i mod 4, counted from the
    // frame's start, not from this chunk's.
    for (std::size_t i = 0; i < take; ++i) {
      target[start + i] = static_cast<char>(static_cast<std::uint8_t>(target[start + i]) ^
                                            mask_[(payloadRead_ + i) & 3]);
    }
  }
  payloadRead_ += take;
  bytes.remove_prefix(take);
}

Status Decoder::finishFrame(std::vector<Message>& out) {
  inPayload_ = false;
  if (isControl(opcode_)) {
    if (opcode_ == Opcode::kClose) {
      // Section 5.5.1: an empty body, or a 2-byte code and a UTF-8 reason.
      if (control_.size() == 1)
        return fail(kCloseProtocolError, "close frame with a 1-byte payload");
      if (control_.size() >= 2) {
        auto [code, reason] = parseClosePayload(control_);
        if (!isValidCloseCode(code)) {
          return fail(kCloseProtocolError, "close frame with invalid code " + std::to_string(code));
        }
        if (!isValidUtf8(reason)) return fail(kCloseInvalidPayload, "close reason is not UTF-8");
      }
    }
    out.push_back(Message{opcode_, std::move(control_)});
    control_.clear();
    return Status::ok();
  }
  if (!fin_) return Status::ok();
  // Section 8.1: text must be UTF-8 as a whole; a character may straddle fragments, so the
  // check waits for the last one.
  if (messageOpcode_ == Opcode::kText && !isValidUtf8(message_)) {
    return fail(kCloseInvalidPayload, "text message is not valid UTF-8");
  }
  out.push_back(Message{messageOpcode_, std::move(message_)});
  message_.clear();
  messageOpen_ = false;
  return Status::ok();
}

Status Decoder::fail(std::uint16_t closeCode, const std::string& what) {
  closeCode_ = closeCode;
  failure_ = Status(Code::kInvalidArgument, "websocket: " + what);
  // Nothing more will be decoded: give the buffers back.
  std::string().swap(message_);
  std::string().swap(control_);
  return failure_;
}

std::string encodeFrame(Opcode op, std::string_view payload, bool fin) {
  std::string out = frameHeader(op, payload.size(), fin, false);
  out.append(payload);
  return out;
}

std::string encodeMaskedFrame(Opcode op, std::string_view payload, std::array<std::uint8_t, 4> mask,
                              bool fin) {
  std::string out = frameHeader(op, payload.size(), fin, true);
  out.append(mask.begin(), mask.end());
  std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out[start + i] = static_cast<char>(static_cast<std::uint8_t>(out[start + i]) ^ mask[i & 3]);
  }
  return out;
}

std::string closePayload(std::uint16_t code, std::string_view reason) {
  std::size_t cut = std::min(reason.size(), kMaxControlPayload - 2);
  // Back up over continuation bytes (10xxxxxx) so a multi-byte character is not split.
  if (cut < reason.size()) {
    while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xc0) == 0x80) --cut;
  }
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xff));
  out.append(reason.substr(0, cut));
  return out;
}

std::pair<std::uint16_t, std::string> parseClosePayload(std::string_view payload) {
  if (payload.size() < 2) return {kCloseNoStatus, ""};
  auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                         static_cast<std::uint8_t>(payload[1]));
  return {code, std::string(payload.substr(2))};
}

std::string acceptKey(std::string_view clientKey) {
  // RFC 6455 section 1.3: a GUID no non-WebSocket server would know, so the answer proves the
  // server read the handshake.
  std::string input(clientKey);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  auto digest = common::sha1(input);
  return common::base64Encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Result<std::string> validateUpgrade(
    const std::function<std::string(std::string_view name)>& header) {
  auto bad = [](const std::string& what) {
    return Status(Code::kInvalidArgument, "websocket handshake: " + what);
  };
  std::string upgrade = header("Upgrade");
  if (!hasToken(upgrade, "websocket")) {
    return bad("Upgrade header \"" + upgrade + "\" does not name websocket");
  }
  std::string connection = header("Connection");
  if (!hasToken(connection, "upgrade")) {
    return bad("Connection header \"" + connection + "\" lacks the upgrade token");
  }
  std::string version(trim(header("Sec-WebSocket-Version")));
  if (version.empty()) return bad("missing Sec-WebSocket-Version");
  if (version != kVersion) {
    return Status(Code::kUnimplemented,
                  "websocket handshake: unsupported Sec-WebSocket-Version \"" + version + "\"");
  }
  // Section 4.1: the key is 16 random bytes in base64, always 24 characters with "==" padding.
  std::string key(trim(header("Sec-WebSocket-Key")));
  std::string nonce;
  if (key.size() != 24 || !common::base64Decode(key, nonce) || nonce.size() != 16) {
    return bad("Sec-WebSocket-Key \"" + key + "\" is not base64 of 16 bytes");
  }
  return acceptKey(key);
}

std::vector<std::string> requestedProtocols(std::string_view secWebSocketProtocolHeaderValue) {
  std::vector<std::string> out;
  for (std::string_view p : listElements(secWebSocketProtocolHeaderValue)) out.emplace_back(p);
  return out;
}

bool isValidUtf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<std::uint8_t>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    std::uint32_t min;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // a continuation byte out of place, or 0xf8-0xff
    }
    if (bytes.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<std::uint8_t>(bytes[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // RFC 3629 section 3: overlong forms and UTF-16 surrogates are not UTF-8.
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace dockershim::streaming::ws
