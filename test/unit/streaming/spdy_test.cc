#include "streaming/spdy.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dockershim::streaming::spdy {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string u32(std::uint32_t v) {
  return bytes({static_cast<int>(v >> 24), static_cast<int>((v >> 16) & 0xff),
                static_cast<int>((v >> 8) & 0xff), static_cast<int>(v & 0xff)});
}

std::string must(Result<std::string> r) {
  INFO(r.status().toString());
  REQUIRE(r.isOk());
  return std::move(r).value();
}

// A control frame written by hand: C bit, version, type, flags, 24-bit length, payload.
std::string controlFrame(int type, int flags, const std::string& payload, int version = 3) {
  auto n = payload.size();
  return bytes({0x80 | (version >> 8), version & 0xff, type >> 8, type & 0xff, flags,
                static_cast<int>(n >> 16), static_cast<int>((n >> 8) & 0xff),
                static_cast<int>(n & 0xff)}) +
         payload;
}

// An uncompressed name/value block written by hand (section 2.6.10), lengths as given.
std::string rawBlock(const Headers& headers) {
  std::string out = u32(static_cast<std::uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    out += u32(static_cast<std::uint32_t>(name.size())) + name;
    out += u32(static_cast<std::uint32_t>(value.size())) + value;
  }
  return out;
}

// The test's own zlib stream primed with the dictionary, as a peer's first header block. With
// `zeros`, that many zero bytes follow `raw`, compressed piecewise so the test never holds them.
std::string compressFirstBlock(const std::string& raw, std::size_t zeros = 0) {
  z_stream z{};
  REQUIRE(deflateInit(&z, Z_BEST_COMPRESSION) == Z_OK);
  std::string_view dict = compressionDictionary();
  REQUIRE(deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                               static_cast<uInt>(dict.size())) == Z_OK);
  std::string out;
  std::string chunk(1 << 16, '\0');
  std::string zeroBuf(1 << 20, '\0');
  auto run = [&](const char* data, std::size_t size, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    z.avail_in = static_cast<uInt>(size);
    do {
      z.next_out = reinterpret_cast<Bytef*>(chunk.data());
      z.avail_out = static_cast<uInt>(chunk.size());
      REQUIRE(deflate(&z, flush) != Z_STREAM_ERROR);
      out.append(chunk.data(), chunk.size() - z.avail_out);
    } while (z.avail_out == 0 || z.avail_in != 0);
  };
  run(raw.data(), raw.size(), Z_NO_FLUSH);
  while (zeros > 0) {
    std::size_t n = std::min(zeros, zeroBuf.size());
    run(zeroBuf.data(), n, Z_NO_FLUSH);
    zeros -= n;
  }
  run(nullptr, 0, Z_SYNC_FLUSH);
  deflateEnd(&z);
  return out;
}

// A SYN_STREAM for stream 1 carrying `compressed` as its header block.
std::string synStreamWithBlock(const std::string& compressed, std::uint32_t streamId = 1) {
  return controlFrame(kTypeSynStream, 0, u32(streamId) + u32(0) + bytes({0, 0}) + compressed);
}

Status decodeAll(std::string_view wire, std::vector<Frame>& out) {
  return Decoder().feed(wire, out);
}

// Feeds `wire` cut at `cuts` (ascending offsets) and expects every call to succeed.
std::vector<Frame> feedCut(std::string_view wire, const std::vector<std::size_t>& cuts) {
  Decoder d;
  std::vector<Frame> out;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    INFO("cut at " << cut);
    Status s = d.feed(wire.substr(at, cut - at), out);
    INFO(s.toString());
    REQUIRE(s.isOk());
    at = cut;
  }
  Status s = d.feed(wire.substr(at), out);
  INFO(s.toString());
  REQUIRE(s.isOk());
  CHECK_FALSE(d.midFrame());
  return out;
}

// Expects `wire` to be refused with kInvalidArgument and a message containing `what`, both fed
// at once and byte by byte, by decoders with the given limits.
void expectInvalid(const std::string& wire, const std::string& what,
                   std::size_t maxHeaderBlockSize = Decoder::kDefaultMaxHeaderBlockSize,
                   std::size_t maxFrameLength = Decoder::kDefaultMaxFrameLength) {
  Decoder whole(maxHeaderBlockSize, maxFrameLength);
  std::vector<Frame> out;
  Status s = whole.feed(wire, out);
  INFO(s.toString());
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains(what));
  // Failed for good: even a valid frame is refused afterwards.
  Status again = whole.feed(must(Encoder().ping({2})), out);
  CHECK(again.code() == Code::kInvalidArgument);
  CHECK(again.message() == s.message());

  Decoder bytewise(maxHeaderBlockSize, maxFrameLength);
  Status first;
  for (char c : wire) {
    first = bytewise.feed(std::string_view(&c, 1), out);
    if (!first.isOk()) break;
  }
  CHECK(first.message() == s.message());
  CHECK(out.empty());
}

Headers kubectlExecHeaders() {
  return {{"streamtype", "stdout"}, {"port", "8080"}, {"requestid", "0"}};
}

std::vector<Frame> everyFrameType() {
  return {
      SynStream{1, 0, 2, 0, false, false, kubectlExecHeaders()},
      SynStream{3, 1, 7, 9, true, true, {{"streamtype", "error"}}},
      SynReply{1, false, {{":status", "200"}, {"x-multi", std::string("a\0b\0c", 5)}}},
      RstStream{3, kRstCancel},
      Settings{true,
               {{0, kSettingsMaxConcurrentStreams, 100},
                {kFlagSettingsPersistValue, kSettingsInitialWindowSize, 1 << 20}}},
      Settings{false, {}},
      Ping{1},
      Ping{0xfffffffe},
      GoAway{7, kGoAwayProtocolError},
      HeadersFrame{1, true, {{"x-trailer", ""}}},
      HeadersFrame{5, false, {}},
      WindowUpdate{0, 0x7fffffff},
      WindowUpdate{1, 1},
      Data{1, false, "hello"},
      Data{1, true, ""},
      Data{3, false, std::string("\0\x80\xff", 3)},
  };
}

std::string encodeAll(Encoder& encoder, const std::vector<Frame>& frames) {
  std::string wire;
  for (const Frame& f : frames) wire += must(encoder.encode(f));
  return wire;
}

TEST_CASE("compressionDictionary is the dictionary of section 2.6.10.1", "[spdy]") {
  std::string_view dict = compressionDictionary();
  CHECK(dict.size() == 1423);
  CHECK(dict.substr(0, 11) == std::string_view("\0\0\0\x07options", 11));
  CHECK(dict.substr(11, 8) == std::string_view("\0\0\0\x04head", 8));
  CHECK(dict.substr(dict.size() - 6) == "enq=0.");
  // Where the length-prefixed names end and plain text begins.
  CHECK(dict.find(std::string_view("\0\0\0\x06origin100101", 16)) != std::string_view::npos);
  // Adler-32 is what a zlib stream names its dictionary by (DICTID): this pins all 1423 bytes to
  // the value other SPDY/3 implementations' streams carry.
  CHECK(adler32(1, reinterpret_cast<const Bytef*>(dict.data()), static_cast<uInt>(dict.size())) ==
        0xe3c6a7c2u);
}

TEST_CASE("simple frames have the byte layout of the spec's diagrams", "[spdy]") {
  Encoder e;
  // 2.6.5: |1|3|6| flags 0 | length 4 | 32-bit id
  CHECK(must(e.ping({0x01020304})) == bytes({0x80, 3, 0, 6, 0, 0, 0, 4, 1, 2, 3, 4}));
  // 2.6.3: |1|3|3| flags 0 | length 8 | stream id | status code
  CHECK(must(e.rstStream({5, kRstCancel})) ==
        bytes({0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0, 5}));
  // 2.6.8: |1|3|9| flags 0 | length 8 | stream id | delta
  CHECK(must(e.windowUpdate({1, 0x10000})) ==
        bytes({0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 1, 0, 1, 0, 0}));
  CHECK(must(e.windowUpdate({0, 0x7fffffff})) ==
        bytes({0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}));
  // 2.2.2: |0| stream id | flags (FIN) | length 2 | data
  CHECK(must(e.data({3, true, "hi"})) == bytes({0, 0, 0, 3, 1, 0, 0, 2}) + "hi");
  CHECK(must(e.data({0x01020304, false, ""})) == bytes({1, 2, 3, 4, 0, 0, 0, 0}));
  // 2.6.6: |1|3|7| flags 0 | length 8 | last-good-stream-id | status
  CHECK(must(e.goAway({7, kGoAwayProtocolError})) ==
        bytes({0x80, 3, 0, 7, 0, 0, 0, 8, 0, 0, 0, 7, 0, 0, 0, 1}));
  // 2.6.4: |1|3|4| CLEAR_SETTINGS | length 12 | 1 entry | flags, 24-bit id | value
  CHECK(
      must(e.settings({true, {{kFlagSettingsPersistValue, kSettingsInitialWindowSize, 65536}}})) ==
      bytes({0x80, 3, 0, 4, 1, 0, 0, 12, 0, 0, 0, 1, 1, 0, 0, 7, 0, 1, 0, 0}));
}

TEST_CASE("SYN_STREAM has the spec's fixed fields and a dictionary-primed zlib block", "[spdy]") {
  Encoder e;
  std::string wire = must(e.synStream({0x0102, 0x0304, 5, 0x42, true, true, {{"a", "b"}}}));
  REQUIRE(wire.size() > 24);
  std::uint32_t length = static_cast<std::uint32_t>(wire.size() - 8);
  // 2.6.1: |1|3|1| FIN|UNIDIRECTIONAL | length | stream id | associated id | pri<<5 | slot
  CHECK(wire.substr(0, 18) ==
        bytes({0x80, 3, 0, 1, 3, 0, static_cast<int>(length >> 8), static_cast<int>(length & 0xff),
               0, 0, 1, 2, 0, 0, 3, 4, 5 << 5, 0x42}));
  // RFC 1950 header: deflate (CM 8), FDICT set, then the DICTID, the dictionary's Adler-32.
  CHECK((static_cast<unsigned char>(wire[18]) & 0x0f) == 8);
  CHECK((static_cast<unsigned char>(wire[19]) & 0x20) != 0);
  CHECK(wire.substr(20, 4) == bytes({0xe3, 0xc6, 0xa7, 0xc2}));
  // Section 2.6.10.1: every block ends with a sync flush, whose empty stored block is 00 00 ff ff.
  CHECK(wire.substr(wire.size() - 4) == bytes({0, 0, 0xff, 0xff}));
}

TEST_CASE("every frame type survives Encoder to Decoder however the bytes are split", "[spdy]") {
  const std::vector<Frame> frames = everyFrameType();
  Encoder e;
  const std::string wire = encodeAll(e, frames);

  SECTION("all at once") {
    std::vector<Frame> out;
    REQUIRE(decodeAll(wire, out).isOk());
    CHECK(out == frames);
  }
  SECTION("byte by byte") {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
    CHECK(feedCut(wire, cuts) == frames);
  }
  SECTION("two pieces, cut anywhere") {
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      CHECK(feedCut(wire, {cut}) == frames);
    }
  }
  SECTION("random chunks") {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
      std::vector<std::size_t> cuts;
      std::size_t at = 0;
      for (;;) {
        at += std::uniform_int_distribution<std::size_t>(0, 40)(rng);
        if (at >= wire.size()) break;
        cuts.push_back(at);
      }
      CHECK(feedCut(wire, cuts) == frames);
    }
  }
}

TEST_CASE("header blocks with many pairs and NUL-separated values round-trip", "[spdy]") {
  Headers headers;
  std::mt19937 rng(11);
  for (int i = 0; i < 600; ++i) {
    std::string value;
    int parts = i % 4;  // 0: empty value; more: that many NUL-separated values
    for (int p = 0; p < parts; ++p) {
      if (p > 0) value.push_back('\0');
      for (int c = 0; c < 1 + i % 13; ++c) {
        value.push_back(static_cast<char>(std::uniform_int_distribution<int>(1, 255)(rng)));
      }
    }
    headers.emplace_back("x-header-" + std::to_string(i), value);
  }
  Encoder e;
  std::string wire = must(e.synReply({9, false, headers}));
  std::vector<Frame> out;
  REQUIRE(decodeAll(wire, out).isOk());
  REQUIRE(out.size() == 1);
  CHECK(std::get<SynReply>(out[0]).headers == headers);
}

TEST_CASE("consecutive header blocks share one compression context per direction", "[spdy]") {
  Encoder e;
  std::vector<std::string> blocks;
  std::vector<Frame> frames;
  for (std::uint32_t id = 1; id <= 9; id += 2) {
    Headers headers = kubectlExecHeaders();
    headers.back().second = std::to_string(id * 1000);  // requestid: each block differs
    frames.push_back(SynStream{id, 0, 0, 0, false, false, headers});
    blocks.push_back(must(e.encode(frames.back())));
  }
  // Headers seen before cost only back-references into the shared history.
  CHECK(blocks[1].size() < blocks[0].size());

  Decoder d;
  std::vector<Frame> out;
  for (const auto& b : blocks) REQUIRE(d.feed(b, out).isOk());
  CHECK(out == frames);

  SECTION("a decoder that missed the first block cannot read the second") {
    std::vector<Frame> fresh;
    Status s = Decoder().feed(blocks[1], fresh);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("corrupt header block"));
    CHECK(fresh.empty());
  }
  SECTION("nor can one fed the blocks out of order") {
    Decoder reordered;
    std::vector<Frame> got;
    REQUIRE(reordered.feed(blocks[0], got).isOk());
    Status s = reordered.feed(blocks[2], got);
    // Whether zlib notices or the pairs come out wrong, the third block is not what was sent.
    CHECK((!s.isOk() || got.back() != frames[2]));
  }
  SECTION("a refused frame leaves the encoder's context usable") {
    REQUIRE_FALSE(e.headers({1, false, {{"Upper", "x"}}}).isOk());
    Frame next = HeadersFrame{1, true, {{"after", "refusal"}}};
    REQUIRE(d.feed(must(e.encode(next)), out).isOk());
    CHECK(out.back() == next);
  }
}

TEST_CASE("dataFrames splits a payload and puts FIN on the last frame only", "[spdy]") {
  Encoder e;
  std::string wire = must(e.dataFrames(5, true, "0123456789", 4));
  std::vector<Frame> out;
  REQUIRE(decodeAll(wire, out).isOk());
  CHECK(out ==
        std::vector<Frame>{Data{5, false, "0123"}, Data{5, false, "4567"}, Data{5, true, "89"}});
  CHECK(must(e.dataFrames(5, true, "")) == bytes({0, 0, 0, 5, 1, 0, 0, 0}));
  CHECK(must(e.dataFrames(5, false, "abc", 0)) == must(e.data({5, false, "a"})) +
                                                      must(e.data({5, false, "b"})) +
                                                      must(e.data({5, false, "c"})));
  std::string big(kMaxDataLength + 10, 'z');
  CHECK_FALSE(e.data({5, false, big}).isOk());
  std::string split = must(e.dataFrames(5, true, big));
  CHECK(split.size() == big.size() + 16);
  CHECK(split.substr(0, 8) == bytes({0, 0, 0, 5, 0, 0xff, 0xff, 0xff}));
  CHECK(split.substr(8 + kMaxDataLength, 8) == bytes({0, 0, 0, 5, 1, 0, 0, 10}));
}

TEST_CASE("Encoder refuses frames the spec forbids", "[spdy]") {
  Encoder e;
  CHECK(e.synStream({0, 0, 0, 0, false, false, {}}).status().code() == Code::kInvalidArgument);
  CHECK_FALSE(e.synStream({0x80000000u, 0, 0, 0, false, false, {}}).isOk());
  CHECK_FALSE(e.synStream({1, 0x80000000u, 0, 0, false, false, {}}).isOk());
  CHECK_FALSE(e.synStream({1, 0, 8, 0, false, false, {}}).isOk());
  CHECK_FALSE(e.synReply({1, false, {{"", "x"}}}).isOk());
  CHECK_FALSE(e.synReply({1, false, {{"Content-Type", "x"}}}).isOk());
  CHECK_FALSE(e.synReply({1, false, {{"a", "x"}, {"a", "y"}}}).isOk());
  CHECK_FALSE(e.synReply({1, false, {{std::string("a\0b", 3), "x"}}}).isOk());
  CHECK_FALSE(e.headers({0, false, {}}).isOk());
  CHECK_FALSE(e.rstStream({0, kRstCancel}).isOk());
  CHECK_FALSE(e.rstStream({1, 0}).isOk());
  CHECK_FALSE(e.windowUpdate({1, 0}).isOk());
  CHECK_FALSE(e.windowUpdate({1, 0x80000000u}).isOk());
  CHECK_FALSE(e.goAway({0x80000000u, 0}).isOk());
  CHECK_FALSE(e.settings({false, {{0, 0x1000000, 1}}}).isOk());
  CHECK_FALSE(e.data({0, false, "x"}).isOk());
  CHECK_FALSE(e.dataFrames(0, false, "x").isOk());
}

TEST_CASE("Decoder refuses malformed frames and stays failed", "[spdy]") {
  SECTION("control frame of another version") {
    expectInvalid(controlFrame(kTypePing, 0, u32(1), 2), "version 2");
  }
  SECTION("control frames shorter or longer than their layout") {
    expectInvalid(controlFrame(kTypePing, 0, bytes({0, 0, 1})), "PING frame of length 3");
    expectInvalid(controlFrame(kTypePing, 0, u32(1) + u32(2)), "PING frame of length 8");
    expectInvalid(controlFrame(kTypeRstStream, 0, u32(1)), "RST_STREAM frame of length 4");
    expectInvalid(controlFrame(kTypeGoAway, 0, u32(1)), "GOAWAY frame of length 4");
    expectInvalid(controlFrame(kTypeWindowUpdate, 0, u32(1) + u32(1) + u32(1)),
                  "WINDOW_UPDATE frame of length 12");
    expectInvalid(controlFrame(kTypeSynStream, 0, u32(1) + u32(0)), "SYN_STREAM frame of length 8");
    expectInvalid(controlFrame(kTypeSynReply, 0, bytes({0, 1})), "SYN_REPLY frame of length 2");
    expectInvalid(controlFrame(kTypeHeaders, 0, ""), "HEADERS frame of length 0");
    expectInvalid(controlFrame(kTypeSettings, 0, bytes({0, 0})), "SETTINGS frame of length 2");
    expectInvalid(controlFrame(kTypeSettings, 0, u32(2) + u32(7) + u32(1)), "cannot hold 2");
    expectInvalid(controlFrame(kTypeSettings, 0, u32(0) + u32(7) + u32(1)), "cannot hold 0");
    expectInvalid(controlFrame(kTypeSettings, 0, u32(1) + u32(7) + u32(1) + "x"), "cannot hold 1");
  }
  SECTION("stream id 0 where the spec forbids it") {
    expectInvalid(synStreamWithBlock(compressFirstBlock(rawBlock({})), 0),
                  "SYN_STREAM frame on stream 0");
    expectInvalid(controlFrame(kTypeSynReply, 0, u32(0) + compressFirstBlock(rawBlock({}))),
                  "SYN_REPLY frame on stream 0");
    expectInvalid(
        controlFrame(kTypeHeaders, 0, u32(0x80000000u) + compressFirstBlock(rawBlock({}))),
        "HEADERS frame on stream 0");
    expectInvalid(controlFrame(kTypeRstStream, 0, u32(0) + u32(kRstCancel)),
                  "RST_STREAM frame on stream 0");
    expectInvalid(bytes({0, 0, 0, 0, 0, 0, 0, 1, 'x'}), "DATA frame on stream 0");
    expectInvalid(bytes({0, 0, 0, 0, 1, 0, 0, 0}), "DATA frame on stream 0");  // empty, FIN
  }
  SECTION("RST_STREAM with status 0") {
    expectInvalid(controlFrame(kTypeRstStream, 0, u32(1) + u32(0)), "status code 0");
  }
  SECTION("invalid zlib data") {
    expectInvalid(synStreamWithBlock("not zlib at all"), "corrupt header block");
    std::string good = compressFirstBlock(rawBlock({{"a", "b"}}));
    good[good.size() / 2] ^= 0x55;
    std::vector<Frame> out;
    Status s = Decoder().feed(synStreamWithBlock(good), out);
    CHECK(s.code() == Code::kInvalidArgument);
  }
  SECTION("a zlib stream primed with another dictionary") {
    z_stream z{};
    REQUIRE(deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK);
    REQUIRE(deflateSetDictionary(&z, reinterpret_cast<const Bytef*>("other"), 5) == Z_OK);
    std::string raw = rawBlock({{"a", "b"}});
    std::string out(256, '\0');
    z.next_in = reinterpret_cast<Bytef*>(raw.data());
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_SYNC_FLUSH) == Z_OK);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    expectInvalid(synStreamWithBlock(out), "another dictionary");
  }
  SECTION("a header block that inflates past the limit (zip bomb)") {
    // 64 MiB of zeros behind a value length that claims them, compressed to about 64 KiB.
    std::string bomb =
        compressFirstBlock(u32(1) + u32(1) + "a" + u32(64u << 20), std::size_t{64} << 20);
    CHECK(bomb.size() < 100 * 1024);
    expectInvalid(synStreamWithBlock(bomb), "decompresses to more than 262144 bytes");
  }
  SECTION("the limit holds to the byte") {
    // count + name length + "a" + value length = 13 bytes of framing around the value.
    std::string atLimit =
        synStreamWithBlock(compressFirstBlock(rawBlock({{"a", std::string(1000 - 13, 'v')}})));
    std::vector<Frame> out;
    CHECK(Decoder(1000).feed(atLimit, out).isOk());
    expectInvalid(
        synStreamWithBlock(compressFirstBlock(rawBlock({{"a", std::string(1000 - 12, 'v')}}))),
        "more than 1000 bytes", 1000);
  }
  SECTION("pair counts larger than the block") {
    expectInvalid(
        synStreamWithBlock(compressFirstBlock(u32(1000) + rawBlock({{"a", "b"}}).substr(4))),
        "claims 1000 pairs");
    expectInvalid(synStreamWithBlock(compressFirstBlock(u32(0xffffffff))),
                  "claims 4294967295 pairs");
    expectInvalid(synStreamWithBlock(compressFirstBlock(bytes({0, 0}))), "too short");
  }
  SECTION("lengths that would overflow or run past the block") {
    // 0xfffffffc + 4 and 0xfffffffd + 3 wrap to 0 in 32 bits: an offset check written as
    // `at + length <= size` would pass them.
    expectInvalid(synStreamWithBlock(compressFirstBlock(u32(1) + u32(0xffffffff) + "abcd")),
                  "header name 0 runs past");
    expectInvalid(synStreamWithBlock(compressFirstBlock(u32(1) + u32(0xfffffffc) + "abcd")),
                  "header name 0 runs past");
    expectInvalid(
        synStreamWithBlock(compressFirstBlock(u32(1) + u32(1) + "a" + u32(0xfffffffd) + "xyz")),
        "header value of \"a\" runs past");
    expectInvalid(synStreamWithBlock(compressFirstBlock(u32(1) + u32(1) + "a" + bytes({0, 0}) +
                                                        std::string(6, 'p'))),
                  "runs past");
  }
  SECTION("bytes after the last pair") {
    expectInvalid(synStreamWithBlock(compressFirstBlock(rawBlock({{"a", "b"}}) + "junk")),
                  "4 bytes after the last header pair");
  }
  SECTION("upper-case, empty, NUL-bearing and duplicate names") {
    expectInvalid(synStreamWithBlock(compressFirstBlock(rawBlock({{"Host", "x"}}))),
                  "\"Host\" is not lower case");
    expectInvalid(synStreamWithBlock(compressFirstBlock(rawBlock({{"", "x"}}))),
                  "empty header name");
    expectInvalid(synStreamWithBlock(compressFirstBlock(rawBlock({{std::string("a\0b", 3), "x"}}))),
                  "contains a NUL byte");
    expectInvalid(
        synStreamWithBlock(compressFirstBlock(rawBlock({{"a", "1"}, {"b", "2"}, {"a", "3"}}))),
        "duplicate header name \"a\"");
  }
  SECTION("frame length above the limit, refused from the 8-byte header") {
    // Only headers are fed: the refusal cannot wait for the payload to be buffered.
    expectInvalid(bytes({0, 0, 0, 1, 0, 0, 0x04, 0x01}),
                  "frame length 1025 exceeds the limit of 1024",
                  Decoder::kDefaultMaxHeaderBlockSize, 1024);
    expectInvalid(controlFrame(kTypeSynStream, 0, "").replace(5, 3, "\xff\xff\xff"),
                  "header block of 16777205 bytes exceeds the limit",
                  Decoder::kDefaultMaxHeaderBlockSize, 1024);
    std::vector<Frame> out;
    Decoder d(Decoder::kDefaultMaxHeaderBlockSize, 1024);
    CHECK(d.feed(must(Encoder().data({1, false, std::string(1024, 'd')})), out).isOk());
    CHECK(out.size() == 1);
  }
}

TEST_CASE("frames decoded before a violation are kept", "[spdy]") {
  Encoder e;
  std::string wire = must(e.ping({1})) + must(e.data({1, false, "x"})) +
                     controlFrame(kTypePing, 0, u32(1), 4) + must(e.ping({3}));
  Decoder d;
  std::vector<Frame> out;
  Status s = d.feed(wire, out);
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(out == std::vector<Frame>{Ping{1}, Data{1, false, "x"}});
}

TEST_CASE("unknown control frame types are skipped without being buffered", "[spdy]") {
  Encoder e;
  std::string ping = must(e.ping({3}));
  std::string wire = controlFrame(0xff, 0x7, std::string(5000, 'u')) + ping +
                     controlFrame(10, 0, std::string(300, 'c')) +  // CREDENTIAL, deprecated
                     controlFrame(5, 0, "") +                      // NOOP, SPDY/2 only
                     ping;
  // The frame length limit is below the skipped frames' sizes: skipping holds none of their bytes.
  Decoder d(Decoder::kDefaultMaxHeaderBlockSize, 64);
  std::vector<Frame> out;
  for (char c : wire) REQUIRE(d.feed(std::string_view(&c, 1), out).isOk());
  CHECK(out == std::vector<Frame>{Ping{3}, Ping{3}});
  CHECK_FALSE(d.midFrame());

  // A maximal unknown frame is only a count of bytes to pass over.
  REQUIRE(d.feed(controlFrame(0x1234, 0, "").replace(5, 3, "\xff\xff\xff"), out).isOk());
  CHECK(d.midFrame());
  REQUIRE(d.feed(std::string(0xffffff, 'u') + ping, out).isOk());
  CHECK(out.size() == 3);
  CHECK_FALSE(d.midFrame());
}

// A random frame the Encoder accepts.
Frame randomFrame(std::mt19937& rng) {
  auto num = [&](std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
  };
  auto text = [&](std::size_t maxLen, bool lowerName) {
    std::string s(num(lowerName ? 1 : 0, static_cast<std::uint32_t>(maxLen)), 'a');
    for (char& c : s) c = static_cast<char>(lowerName ? num('a', 'z') : num(0, 255));
    return s;
  };
  auto headers = [&] {
    Headers h;
    std::uint32_t n = num(0, 12);
    for (std::uint32_t i = 0; i < n; ++i) {
      h.emplace_back(text(10, true) + "-" + std::to_string(i), text(40, false));
    }
    return h;
  };
  std::uint32_t id = num(1, kMaxStreamId);
  switch (num(0, 8)) {
    case 0:
      return SynStream{id,
                       num(0, kMaxStreamId),
                       static_cast<std::uint8_t>(num(0, 7)),
                       static_cast<std::uint8_t>(num(0, 255)),
                       num(0, 1) == 1,
                       num(0, 1) == 1,
                       headers()};
    case 1:
      return SynReply{id, num(0, 1) == 1, headers()};
    case 2:
      return RstStream{id, num(1, 0xffffffff)};
    case 3: {
      Settings s{num(0, 1) == 1, {}};
      for (std::uint32_t i = num(0, 5); i > 0; --i) {
        s.entries.push_back(
            {static_cast<std::uint8_t>(num(0, 255)), num(0, 0xffffff), num(0, ~0u)});
      }
      return s;
    }
    case 4:
      return Ping{num(0, ~0u)};
    case 5:
      return GoAway{num(0, kMaxStreamId), num(0, ~0u)};
    case 6:
      return HeadersFrame{id, num(0, 1) == 1, headers()};
    case 7:
      return WindowUpdate{num(0, kMaxStreamId), num(1, kMaxStreamId)};
    default:
      return Data{id, num(0, 1) == 1, text(100, false)};
  }
}

TEST_CASE("random frame sequences round-trip", "[spdy]") {
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    Encoder e;
    std::vector<Frame> frames;
    for (int i = std::uniform_int_distribution<int>(1, 8)(rng); i > 0; --i) {
      frames.push_back(randomFrame(rng));
    }
    std::string wire = encodeAll(e, frames);
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0;;) {
      at += std::uniform_int_distribution<std::size_t>(1, 64)(rng);
      if (at >= wire.size()) break;
      cuts.push_back(at);
    }
    CHECK(feedCut(wire, cuts) == frames);
  }
}

TEST_CASE("Decoder survives random and mutated input", "[spdy][fuzz]") {
  std::mt19937 rng(20240601);
  auto num = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  Encoder e;
  const std::string valid = encodeAll(e, everyFrameType());
  int refused = 0;
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    switch (i % 4) {
      case 0:  // noise
        input.resize(num(0, 96));
        for (char& c : input) c = static_cast<char>(num(0, 255));
        break;
      case 1: {  // a plausible control header over noise
        std::size_t len = num(0, 48);
        input = controlFrame(static_cast<int>(num(0, 11)), static_cast<int>(num(0, 255)),
                             std::string(len, '\0'));
        for (std::size_t j = 8; j < input.size(); ++j) input[j] = static_cast<char>(num(0, 255));
        break;
      }
      default: {  // valid frames with a few bytes changed, dropped, added, or cut off
        input = valid;
        for (std::size_t m = num(1, 6); m > 0; --m) {
          std::size_t at = num(0, input.size() - 1);
          switch (num(0, 3)) {
            case 0:
              input[at] = static_cast<char>(num(0, 255));
              break;
            case 1:
              input[at] ^= static_cast<char>(1 << num(0, 7));
              break;
            case 2:
              input.erase(at, num(1, 4));
              break;
            default:
              input.insert(at, 1, static_cast<char>(num(0, 255)));
              break;
          }
          if (input.empty()) input = "x";
        }
        if (num(0, 3) == 0) input.resize(num(0, input.size()));
        break;
      }
    }
    Decoder d(4096, 1 << 16);
    std::vector<Frame> out;
    Status s;
    for (std::size_t at = 0; at < input.size() && s.isOk();) {
      std::size_t n = num(1, 32);
      s = d.feed(std::string_view(input).substr(at, n), out);
      at += n;
    }
    if (s.isOk()) {
      ++accepted;
    } else {
      ++refused;
      REQUIRE(s.code() == Code::kInvalidArgument);
      REQUIRE(d.feed("more", out).code() == Code::kInvalidArgument);
    }
  }
  // Both paths were exercised.
  CHECK(refused > 1000);
  CHECK(accepted > 1000);
}

TEST_CASE(
    "spdy: a header block larger than the decompressed limit could fill is refused from "
    "the frame header",
    "[spdy]") {
  Decoder d(1024);
  std::vector<Frame> out;
  // SYN_STREAM claiming 10 + 4000 bytes: no 4000-byte deflate stream is needed for 1 KiB.
  const std::string header("\x80\x03\x00\x01\x00\x00\x0f\xaa", 8);
  auto st = d.feed(header, out);
  CHECK_FALSE(st);
  CHECK(st.message().find("header block") != std::string::npos);
}

}  // namespace
}  // namespace dockershim::streaming::spdy
