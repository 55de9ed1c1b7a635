#include "streaming/websocket.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace dockershim::streaming::ws {
namespace {

using Role = Decoder::Role;

constexpr std::array<std::uint8_t, 4> kRfcMask = {0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 5.7

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i * 7 + i / 256);
  return out;
}

struct Decoded {
  Status status;
  std::vector<Message> messages;
};

// Feeds `wire` in pieces ending at `cuts` (ascending offsets), stopping at the first error.
Decoded decodeSplit(Decoder& d, std::string_view wire, const std::vector<std::size_t>& cuts) {
  Decoded r;
  std::size_t pos = 0;
  for (std::size_t cut : cuts) {
    r.status = d.feed(wire.substr(pos, cut - pos), r.messages);
    if (!r.status.isOk()) return r;
    pos = cut;
  }
  r.status = d.feed(wire.substr(pos), r.messages);
  return r;
}

Decoded decode(Role role, std::string_view wire, std::size_t maxMessage = 1 << 20) {
  Decoder d(role, maxMessage);
  return decodeSplit(d, wire, {});
}

// Fails the way the RFC requires: kInvalidArgument, the message names the violation, the close
// code is the one to send, and the decoder stays failed.
void requireViolation(Role role, const std::string& wire, std::uint16_t closeCode,
                      const std::string& words, std::size_t maxMessage = 1 << 20) {
  Decoder d(role, maxMessage);
  std::vector<Message> out;
  Status s = d.feed(wire, out);
  CAPTURE(s.toString());
  REQUIRE_FALSE(s.isOk());
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find(words) != std::string::npos);
  CHECK(d.failed());
  CHECK(d.closeCode() == closeCode);
  CHECK(d.bufferedBytes() == 0);
  std::vector<Message> later;
  Status again = d.feed(
      encodeMaskedFrame(Opcode::kText, "ok", kRfcMask) + encodeFrame(Opcode::kText, "ok"), later);
  CHECK(again.code() == s.code());
  CHECK(again.message() == s.message());
  CHECK(later.empty());
}

// --- RFC 6455 section 5.7 examples ---

TEST_CASE("RFC 6455 5.7: a single-frame unmasked text message", "[websocket]") {
  std::string wire = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  CHECK(encodeFrame(Opcode::kText, "Hello") == wire);
  auto r = decode(Role::kClient, wire);
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{{Opcode::kText, "Hello"}});
}

TEST_CASE("RFC 6455 5.7: a single-frame masked text message", "[websocket]") {
  std::string wire = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(encodeMaskedFrame(Opcode::kText, "Hello", kRfcMask) == wire);
  auto r = decode(Role::kServer, wire);
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{{Opcode::kText, "Hello"}});
}

TEST_CASE("RFC 6455 5.7: a fragmented unmasked text message", "[websocket]") {
  std::string wire = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  CHECK(encodeFrame(Opcode::kText, "Hel", false) + encodeFrame(Opcode::kContinuation, "lo") ==
        wire);
  Decoder d(Role::kClient);
  std::vector<Message> out;
  REQUIRE(d.feed(wire.substr(0, 5), out).isOk());
  CHECK(out.empty());
  CHECK(d.midMessage());
  REQUIRE(d.feed(wire.substr(5), out).isOk());
  CHECK(out == std::vector<Message>{{Opcode::kText, "Hello"}});
  CHECK_FALSE(d.midMessage());
}

TEST_CASE("RFC 6455 5.7: unmasked ping and masked pong", "[websocket]") {
  std::string ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  CHECK(encodeFrame(Opcode::kPing, "Hello") == ping);
  auto r = decode(Role::kClient, ping);
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{{Opcode::kPing, "Hello"}});

  std::string pong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(encodeMaskedFrame(Opcode::kPong, "Hello", kRfcMask) == pong);
  r = decode(Role::kServer, pong);
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{{Opcode::kPong, "Hello"}});
}

TEST_CASE("RFC 6455 5.7: 256 bytes and 64 KiB in one unmasked binary frame", "[websocket]") {
  std::string small = pattern(256);
  std::string wire = bytes({0x82, 0x7e, 0x01, 0x00}) + small;
  CHECK(encodeFrame(Opcode::kBinary, small) == wire);
  auto r = decode(Role::kClient, wire);
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{{Opcode::kBinary, small}});

  std::string big = pattern(65536);
  wire = bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}) + big;
  CHECK(encodeFrame(Opcode::kBinary, big) == wire);
  r = decode(Role::kClient, wire);
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{{Opcode::kBinary, big}});
}

TEST_CASE("encoders pick the shortest length encoding", "[websocket]") {
  const std::vector<std::pair<std::size_t, std::string>> cases = {
      {0, bytes({0x82, 0x00})},
      {125, bytes({0x82, 0x7d})},
      {126, bytes({0x82, 0x7e, 0x00, 0x7e})},
      {65535, bytes({0x82, 0x7e, 0xff, 0xff})},
      {65536, bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00})},
  };
  for (const auto& [size, header] : cases) {
    CAPTURE(size);
    std::string payload = pattern(size);
    CHECK(encodeFrame(Opcode::kBinary, payload) == header + payload);
    std::string masked = encodeMaskedFrame(Opcode::kBinary, payload, kRfcMask);
    std::string maskedHeader = header;
    maskedHeader[1] = static_cast<char>(maskedHeader[1] | 0x80);
    CHECK(masked.substr(0, header.size()) == maskedHeader);
    CHECK(masked.substr(header.size(), 4) == bytes({0x37, 0xfa, 0x21, 0x3d}));
    CHECK(masked.size() == header.size() + 4 + size);
  }
  CHECK(encodeFrame(Opcode::kBinary, "x", false) == bytes({0x02, 0x01, 'x'}));
}

TEST_CASE("RFC 6455 1.3: the handshake example's accept key", "[websocket]") {
  CHECK(acceptKey("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // A second key, its answer cross-checked with `openssl sha1 -binary | base64`.
  CHECK(acceptKey("wDqumtseNBJdhkihL6PW7w==") == "0FFP+2nmNIf/h+4BP36k9uzrYGk=");
}

// --- round trips split at every point ---

// Every frame shape: empty, 7/16/64-bit lengths, fragments with control frames between them, a
// UTF-8 character cut across fragments, a close.
struct Conversation {
  std::vector<Message> messages;
  std::string serverWire;  // what a server sends (unmasked), for Decoder(kClient)
  std::string clientWire;  // what a client sends (masked), for Decoder(kServer)
};

Conversation conversation(bool withLarge) {
  Conversation c;
  std::uint8_t maskSeed = 1;
  auto frame = [&](Opcode op, std::string_view payload, bool fin) {
    c.serverWire += encodeFrame(op, payload, fin);
    std::array<std::uint8_t, 4> mask = {maskSeed, std::uint8_t(maskSeed * 3), 0x00, 0xff};
    maskSeed = static_cast<std::uint8_t>(maskSeed + 29);
    c.clientWire += encodeMaskedFrame(op, payload, mask, fin);
  };
  auto whole = [&](Opcode op, const std::string& payload) {
    frame(op, payload, true);
    c.messages.push_back({op, payload});
  };
  whole(Opcode::kText, "");
  whole(Opcode::kBinary, "x");
  whole(Opcode::kBinary, pattern(125));
  whole(Opcode::kBinary, pattern(126));
  whole(Opcode::kBinary, pattern(300));
  whole(Opcode::kPing, "");
  whole(Opcode::kPing, pattern(125));
  // "é" (c3 a9) split between fragments, a ping and a pong in between.
  frame(Opcode::kText, "caf\xc3", false);
  whole(Opcode::kPing, "p");
  frame(Opcode::kContinuation, "", false);
  whole(Opcode::kPong, "q");
  frame(Opcode::kContinuation, "\xa9!", true);
  c.messages.push_back({Opcode::kText, "caf\xc3\xa9!"});
  frame(Opcode::kBinary, pattern(130), false);
  frame(Opcode::kContinuation, pattern(3), true);
  c.messages.push_back({Opcode::kBinary, pattern(130) + pattern(3)});
  if (withLarge) whole(Opcode::kBinary, pattern(65536 + 3));
  whole(Opcode::kClose, closePayload(kCloseNormal, "bye"));
  return c;
}

TEST_CASE("Decoder reassembles a conversation split at every point", "[websocket]") {
  Conversation c = conversation(false);
  for (auto [role, wire] :
       {std::pair{Role::kServer, c.clientWire}, {Role::kClient, c.serverWire}}) {
    CAPTURE(role == Role::kServer);
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      Decoder d(role);
      auto r = decodeSplit(d, wire, {cut});
      if (!r.status.isOk() || r.messages != c.messages) {
        CAPTURE(cut, r.status.toString());
        FAIL("split decode differs");
      }
      CHECK_FALSE(d.midMessage());
    }
    // Two cuts, every pair a prime stride apart, catches state carried across three feeds.
    for (std::size_t a = 0; a <= wire.size(); a += 7) {
      for (std::size_t b = a; b <= wire.size(); b += 13) {
        Decoder d(role);
        auto r = decodeSplit(d, wire, {a, b});
        if (!r.status.isOk() || r.messages != c.messages) {
          CAPTURE(a, b, r.status.toString());
          FAIL("split decode differs");
        }
      }
    }
  }
}

TEST_CASE("Decoder reassembles a conversation fed byte by byte and in random chunks",
          "[websocket]") {
  Conversation c = conversation(true);
  for (auto [role, wire] :
       {std::pair{Role::kServer, c.clientWire}, {Role::kClient, c.serverWire}}) {
    CAPTURE(role == Role::kServer);
    {
      Decoder d(role);
      std::vector<Message> out;
      for (char ch : wire) REQUIRE(d.feed(std::string_view(&ch, 1), out).isOk());
      CHECK(out == c.messages);
    }
    std::mt19937 rng(6455);
    for (int round = 0; round < 50; ++round) {
      std::vector<std::size_t> cuts;
      std::size_t pos = 0;
      while (true) {
        // Mostly small chunks, sometimes a large one, so headers and payloads both get cut.
        std::size_t step = rng() % 4 == 0 ? rng() % 40000 : rng() % 20;
        pos += step;
        if (pos >= wire.size()) break;
        cuts.push_back(pos);
      }
      Decoder d(role);
      auto r = decodeSplit(d, wire, cuts);
      CAPTURE(round);
      REQUIRE(r.status.isOk());
      CHECK(r.messages == c.messages);
    }
  }
}

TEST_CASE("Decoder accepts a length in a longer encoding than needed", "[websocket]") {
  // RFC 6455 5.2 asks senders for the minimal encoding; we are lenient as receivers.
  std::string wire = bytes({0x82, 0x7e, 0x00, 0x03}) + "abc" +
                     bytes({0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x02}) + "hi" +
                     bytes({0x89, 0x7e, 0x00, 0x01}) + "p";
  auto r = decode(Role::kClient, wire);
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{
                          {Opcode::kBinary, "abc"}, {Opcode::kText, "hi"}, {Opcode::kPing, "p"}});
}

// --- one test per violation ---

TEST_CASE("Decoder rejects reserved bits", "[websocket]") {
  for (int rsv : {0x40, 0x20, 0x10}) {
    CAPTURE(rsv);
    std::string wire = encodeFrame(Opcode::kText, "hi");
    wire[0] = static_cast<char>(wire[0] | rsv);
    requireViolation(Role::kClient, wire, kCloseProtocolError, "reserved bits");
  }
}

TEST_CASE("Decoder rejects unknown opcodes", "[websocket]") {
  for (int op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    CAPTURE(op);
    requireViolation(Role::kServer, bytes({0x80 | op, 0x80, 1, 2, 3, 4}), kCloseProtocolError,
                     "unknown opcode " + std::to_string(op));
  }
}

TEST_CASE("Decoder rejects a control frame over 125 bytes", "[websocket]") {
  for (Opcode op : {Opcode::kPing, Opcode::kPong, Opcode::kClose}) {
    std::string payload =
        op == Opcode::kClose ? closePayload(1000, "") + pattern(124) : pattern(126);
    // Only the header is fed: the length alone is the violation.
    std::string header = encodeFrame(op, payload).substr(0, 4);
    requireViolation(Role::kClient, header, kCloseProtocolError, "control frame payload");
  }
  auto r = decode(Role::kClient, encodeFrame(Opcode::kPing, pattern(125)));
  CHECK(r.status.isOk());
}

TEST_CASE("Decoder rejects a fragmented control frame", "[websocket]") {
  for (Opcode op : {Opcode::kPing, Opcode::kPong, Opcode::kClose}) {
    requireViolation(Role::kClient, encodeFrame(op, "", false), kCloseProtocolError,
                     "fragmented control frame");
  }
}

TEST_CASE("Decoder rejects a continuation frame without a message", "[websocket]") {
  requireViolation(Role::kClient, encodeFrame(Opcode::kContinuation, "x"), kCloseProtocolError,
                   "continuation frame without a message");
  // Also right after a message that was complete.
  requireViolation(Role::kClient,
                   encodeFrame(Opcode::kText, "a") + encodeFrame(Opcode::kContinuation, "b"),
                   kCloseProtocolError, "continuation frame without a message");
}

TEST_CASE("Decoder rejects a new data frame inside a fragmented message", "[websocket]") {
  for (Opcode op : {Opcode::kText, Opcode::kBinary}) {
    requireViolation(Role::kServer,
                     encodeMaskedFrame(Opcode::kBinary, "a", kRfcMask, false) +
                         encodeMaskedFrame(Opcode::kPing, "", kRfcMask) +
                         encodeMaskedFrame(op, "b", kRfcMask),
                     kCloseProtocolError, "new data frame while a fragmented message is open");
  }
}

TEST_CASE("Decoder enforces masking by role", "[websocket]") {
  requireViolation(Role::kServer, encodeFrame(Opcode::kText, "hi"), kCloseProtocolError,
                   "unmasked client frame");
  requireViolation(Role::kClient, encodeMaskedFrame(Opcode::kText, "hi", kRfcMask),
                   kCloseProtocolError, "masked server frame");
}

TEST_CASE("Decoder rejects a 64-bit length with the top bit set", "[websocket]") {
  requireViolation(Role::kClient, bytes({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x01}),
                   kCloseProtocolError, "most significant bit");
  // A server decoder reads the mask key first; nothing after it is needed.
  requireViolation(Role::kServer,
                   bytes({0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}),
                   kCloseProtocolError, "most significant bit");
}

TEST_CASE("Decoder rejects a message over the limit from its header", "[websocket]") {
  SECTION("a single frame: the header alone fails, before any payload is held") {
    requireViolation(Role::kClient, encodeFrame(Opcode::kBinary, pattern(101)).substr(0, 2),
                     kCloseMessageTooBig, "100-byte limit", 100);
    // The largest length a peer can announce costs nothing either.
    requireViolation(
        Role::kServer,
        bytes({0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}),
        kCloseMessageTooBig, "limit");
  }
  SECTION("fragments whose sum is over the limit") {
    requireViolation(Role::kClient,
                     encodeFrame(Opcode::kText, pattern(60), false) +
                         encodeFrame(Opcode::kContinuation, pattern(40), false) +
                         encodeFrame(Opcode::kContinuation, "x", true).substr(0, 2),
                     kCloseMessageTooBig, "limit", 100);
  }
  SECTION("exactly the limit is fine, and control frames do not count") {
    auto r = decode(Role::kClient,
                    encodeFrame(Opcode::kBinary, pattern(60), false) +
                        encodeFrame(Opcode::kPing, pattern(125)) +
                        encodeFrame(Opcode::kContinuation, pattern(40)),
                    100);
    REQUIRE(r.status.isOk());
    CHECK(r.messages.size() == 2);
  }
}

TEST_CASE("Decoder rejects a close frame with a 1-byte payload", "[websocket]") {
  requireViolation(Role::kClient, encodeFrame(Opcode::kClose, "\x03"), kCloseProtocolError,
                   "1-byte payload");
}

TEST_CASE("Decoder checks close codes", "[websocket]") {
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    CAPTURE(code);
    requireViolation(Role::kServer,
                     encodeMaskedFrame(Opcode::kClose, closePayload(code, "x"), kRfcMask),
                     kCloseProtocolError, "invalid code " + std::to_string(code));
  }
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 4999}) {
    CAPTURE(code);
    auto r = decode(Role::kServer,
                    encodeMaskedFrame(Opcode::kClose, closePayload(code, "why"), kRfcMask));
    REQUIRE(r.status.isOk());
    REQUIRE(r.messages.size() == 1);
    CHECK(parseClosePayload(r.messages[0].payload) ==
          std::pair<std::uint16_t, std::string>(code, "why"));
  }
  auto r = decode(Role::kClient, encodeFrame(Opcode::kClose, ""));
  REQUIRE(r.status.isOk());
  CHECK(r.messages == std::vector<Message>{{Opcode::kClose, ""}});
}

TEST_CASE("Decoder rejects a close reason that is not UTF-8", "[websocket]") {
  requireViolation(Role::kClient, encodeFrame(Opcode::kClose, closePayload(1000, "bad \xff")),
                   kCloseInvalidPayload, "close reason");
}

TEST_CASE("Decoder rejects text that is not UTF-8", "[websocket]") {
  requireViolation(Role::kClient, encodeFrame(Opcode::kText, "caf\xc3"), kCloseInvalidPayload,
                   "not valid UTF-8");
  requireViolation(Role::kClient,
                   encodeFrame(Opcode::kText, "ok", false) +
                       encodeFrame(Opcode::kContinuation, "\xed\xa0\x80"),  // a surrogate
                   kCloseInvalidPayload, "not valid UTF-8");
  // Binary messages carry any bytes.
  auto r = decode(Role::kClient, encodeFrame(Opcode::kBinary, "caf\xc3"));
  CHECK(r.status.isOk());
}

TEST_CASE("Decoder keeps the messages decoded before a violation", "[websocket]") {
  Decoder d(Role::kClient);
  std::vector<Message> out;
  Status s = d.feed(
      encodeFrame(Opcode::kText, "one") + encodeFrame(Opcode::kPing, "two") + bytes({0xc1, 0x00}),
      out);
  CHECK_FALSE(s.isOk());
  CHECK(out == std::vector<Message>{{Opcode::kText, "one"}, {Opcode::kPing, "two"}});
}

// --- helpers ---

TEST_CASE("isValidUtf8 follows RFC 3629", "[websocket]") {
  const std::vector<std::string> good = {
      "",
      "ascii",
      "\xc2\x80",
      "\xdf\xbf",
      "\xe0\xa0\x80",
      "\xed\x9f\xbf",
      "\xee\x80\x80",
      "\xef\xbf\xbf",
      "\xf0\x90\x80\x80",
      "\xf4\x8f\xbf\xbf",
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
      std::string("nul\0inside", 10),
  };
  const std::vector<std::string> bad = {
      "\x80",              // lone continuation
      "\xc0\x80",          // overlong NUL
      "\xc1\xbf",          // overlong
      "\xe0\x9f\xbf",      // overlong 3-byte
      "\xf0\x8f\xbf\xbf",  // overlong 4-byte
      "\xed\xa0\x80",      // U+D800
      "\xed\xbf\xbf",      // U+DFFF
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xf8\x88\x80\x80\x80",
      "\xff",
      "\xc3",      // truncated
      "\xe2\x82",  //
      "\xc3\x28",  // bad continuation
  };
  for (const auto& s : good) {
    CAPTURE(s);
    CHECK(isValidUtf8(s));
  }
  for (const auto& s : bad) {
    CAPTURE(s);
    CHECK_FALSE(isValidUtf8(s));
  }
}

TEST_CASE("closePayload and parseClosePayload", "[websocket]") {
  CHECK(closePayload(1000, "") == bytes({0x03, 0xe8}));
  CHECK(closePayload(4999, "gone") == bytes({0x13, 0x87}) + "gone");
  CHECK(parseClosePayload(bytes({0x03, 0xe9}) + "going") ==
        std::pair<std::uint16_t, std::string>(1001, "going"));
  CHECK(parseClosePayload("") == std::pair<std::uint16_t, std::string>(kCloseNoStatus, ""));
  CHECK(parseClosePayload("\x03") == std::pair<std::uint16_t, std::string>(kCloseNoStatus, ""));

  // A long reason is cut to fit a control frame, never inside a character.
  std::string ascii(200, 'r');
  CHECK(closePayload(1011, ascii).size() == kMaxControlPayload);
  std::string greek;
  for (int i = 0; i < 100; ++i) greek += "\xce\xbb";  // 2 bytes each: 123 is odd
  std::string p = closePayload(1011, greek);
  CHECK(p.size() == 2 + 122);
  CHECK(isValidUtf8(p.substr(2)));
  auto r = decode(Role::kClient, encodeFrame(Opcode::kClose, p));
  CHECK(r.status.isOk());
}

std::function<std::string(std::string_view)> headers(std::map<std::string, std::string> h) {
  return [h = std::move(h)](std::string_view name) {
    auto it = h.find(std::string(name));
    return it == h.end() ? std::string() : it->second;
  };
}

const std::map<std::string, std::string> kGoodRequest = {
    {"Upgrade", "websocket"},
    {"Connection", "Upgrade"},
    {"Sec-WebSocket-Version", "13"},
    {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
};

TEST_CASE("validateUpgrade accepts the RFC 6455 example and its variants", "[websocket]") {
  auto r = validateUpgrade(headers(kGoodRequest));
  REQUIRE(r.isOk());
  CHECK(*r == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

  auto h = kGoodRequest;
  h["Upgrade"] = "WebSocket";
  h["Connection"] = "keep-alive, Upgrade";
  h["Sec-WebSocket-Version"] = " 13 ";
  h["Sec-WebSocket-Key"] = " dGhlIHNhbXBsZSBub25jZQ== ";
  r = validateUpgrade(headers(h));
  REQUIRE(r.isOk());
  CHECK(*r == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("validateUpgrade names what is wrong", "[websocket]") {
  struct Case {
    std::string header;
    std::string value;
    Code code;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"Upgrade", "", Code::kInvalidArgument, "Upgrade"},
      {"Upgrade", "h2c", Code::kInvalidArgument, "Upgrade"},
      {"Upgrade", "websockets", Code::kInvalidArgument, "Upgrade"},
      {"Connection", "", Code::kInvalidArgument, "Connection"},
      {"Connection", "keep-alive", Code::kInvalidArgument, "Connection"},
      {"Connection", "upgraded", Code::kInvalidArgument, "Connection"},
      {"Sec-WebSocket-Version", "", Code::kInvalidArgument, "missing Sec-WebSocket-Version"},
      {"Sec-WebSocket-Version", "8", Code::kUnimplemented, "unsupported Sec-WebSocket-Version"},
      {"Sec-WebSocket-Key", "", Code::kInvalidArgument, "Sec-WebSocket-Key"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ", Code::kInvalidArgument, "Sec-WebSocket-Key"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j", Code::kInvalidArgument, "Sec-WebSocket-Key"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZSE=", Code::kInvalidArgument,
       "Sec-WebSocket-Key"},  // 17 bytes
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ!!", Code::kInvalidArgument,
       "Sec-WebSocket-Key"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.header, c.value);
    auto h = kGoodRequest;
    h[c.header] = c.value;
    auto r = validateUpgrade(headers(h));
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == c.code);
    CHECK(r.status().message().find(c.words) != std::string::npos);
  }
}

TEST_CASE("requestedProtocols splits the offered list", "[websocket]") {
  CHECK(requestedProtocols("").empty());
  CHECK(requestedProtocols(" , ,\t").empty());
  CHECK(requestedProtocols("v4.channel.k8s.io") == std::vector<std::string>{"v4.channel.k8s.io"});
  CHECK(requestedProtocols("v4.channel.k8s.io, v3.channel.k8s.io,,\tchannel.k8s.io ,") ==
        std::vector<std::string>{"v4.channel.k8s.io", "v3.channel.k8s.io", "channel.k8s.io"});
}

// --- hostile input ---

TEST_CASE("Decoder survives random input with bounded memory", "[websocket]") {
  constexpr std::size_t kMax = 4096;
  std::mt19937 rng(20000);
  auto checkRun = [&](Role role, const std::string& wire) {
    Decoder d(role, kMax);
    std::vector<Message> out;
    std::size_t pos = 0;
    while (pos < wire.size()) {
      std::size_t step = 1 + rng() % 64;
      Status s = d.feed(std::string_view(wire).substr(pos, step), out);
      pos += step;
      REQUIRE(d.bufferedBytes() <= kMax + kMaxControlPayload);
      if (!s.isOk()) {
        REQUIRE(s.code() == Code::kInvalidArgument);
        REQUIRE((d.closeCode() == kCloseProtocolError || d.closeCode() == kCloseInvalidPayload ||
                 d.closeCode() == kCloseMessageTooBig));
        break;
      }
    }
    for (const auto& m : out) {
      REQUIRE(m.opcode != Opcode::kContinuation);
      REQUIRE(m.payload.size() <= kMax);
      if (m.opcode == Opcode::kText) REQUIRE(isValidUtf8(m.payload));
    }
  };

  SECTION("random bytes") {
    for (int i = 0; i < 20000; ++i) {
      std::string wire(rng() % 200, '\0');
      for (char& c : wire) c = static_cast<char>(rng());
      checkRun(i % 2 == 0 ? Role::kServer : Role::kClient, wire);
    }
  }
  SECTION("valid conversations with a few bytes changed") {
    Conversation c = conversation(false);
    for (int i = 0; i < 2000; ++i) {
      Role role = i % 2 == 0 ? Role::kServer : Role::kClient;
      std::string wire = role == Role::kServer ? c.clientWire : c.serverWire;
      for (int flips = 1 + rng() % 3; flips > 0; --flips) {
        wire[rng() % wire.size()] = static_cast<char>(rng());
      }
      checkRun(role, wire);
    }
  }
}

}  // namespace
}  // namespace dockershim::streaming::ws
