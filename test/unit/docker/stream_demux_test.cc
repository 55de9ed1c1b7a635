#include "docker/stream_demux.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dockershim::docker {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// Joins consecutive entries of the same stream: what a consumer writing each stream sees.
std::vector<Frame> coalesce(const std::vector<Frame>& frames) {
  std::vector<Frame> out;
  for (const auto& f : frames) {
    if (!out.empty() && out.back().stream == f.stream) {
      out.back().data += f.data;
    } else {
      out.push_back(f);
    }
  }
  return out;
}

TEST_CASE("encodeFrame writes the 8-byte header Docker uses", "[stream_demux]") {
  CHECK(encodeFrame(StreamType::kStdout, "hi") == bytes({1, 0, 0, 0, 0, 0, 0, 2}) + "hi");
  CHECK(encodeFrame(StreamType::kStderr, "") == bytes({2, 0, 0, 0, 0, 0, 0, 0}));
  CHECK(encodeFrame(StreamType::kStdin, std::string(0x0102, 'x')) ==
        bytes({0, 0, 0, 0, 0, 0, 1, 2}) + std::string(0x0102, 'x'));
  CHECK(encodeFrame(StreamType::kSystemErr, "e").substr(0, 8) == bytes({3, 0, 0, 0, 0, 0, 0, 1}));
}

TEST_CASE("StreamDemuxer decodes whole frames fed at once", "[stream_demux]") {
  StreamDemuxer d;
  std::vector<Frame> out;
  std::string wire = encodeFrame(StreamType::kStdout, "out1\n") +
                     encodeFrame(StreamType::kStderr, "err\n") +
                     encodeFrame(StreamType::kStdout, "out2\n") +
                     encodeFrame(StreamType::kSystemErr, "exec failed");
  REQUIRE(d.feed(wire, out).isOk());
  CHECK(out == std::vector<Frame>{{StreamType::kStdout, "out1\n"},
                                  {StreamType::kStderr, "err\n"},
                                  {StreamType::kStdout, "out2\n"},
                                  {StreamType::kSystemErr, "exec failed"}});
  CHECK_FALSE(d.midFrame());
}

TEST_CASE("StreamDemuxer reassembles frames split at every boundary", "[stream_demux]") {
  // A size over 255 checks that all four size bytes are read big-endian.
  std::string big(300, 'B');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::string wire = encodeFrame(StreamType::kStdout, "hello") +
                     encodeFrame(StreamType::kStderr, big) + encodeFrame(StreamType::kStdout, "") +
                     encodeFrame(StreamType::kStdout, std::string("\0bin\0", 5));
  const std::vector<Frame> want = {{StreamType::kStdout, "hello"},
                                   {StreamType::kStderr, big},
                                   {StreamType::kStdout, std::string("\0bin\0", 5)}};

  SECTION("one byte at a time") {
    StreamDemuxer d;
    std::vector<Frame> out;
    for (char c : wire) REQUIRE(d.feed(std::string_view(&c, 1), out).isOk());
    CHECK_FALSE(d.midFrame());
    CHECK(coalesce(out) == want);
    // Each entry carries exactly the bytes of its call: nothing was held back.
    for (const auto& f : out) CHECK(f.data.size() == 1);
  }

  SECTION("two chunks split anywhere") {
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      INFO("cut at " << cut);
      StreamDemuxer d;
      std::vector<Frame> out;
      REQUIRE(d.feed(std::string_view(wire).substr(0, cut), out).isOk());
      REQUIRE(d.feed(std::string_view(wire).substr(cut), out).isOk());
      CHECK_FALSE(d.midFrame());
      CHECK(coalesce(out) == want);
    }
  }
}

TEST_CASE("StreamDemuxer emits payload pieces as they arrive", "[stream_demux]") {
  StreamDemuxer d;
  std::vector<Frame> out;
  std::string wire = encodeFrame(StreamType::kStderr, "abcdef");
  REQUIRE(d.feed(wire.substr(0, 10), out).isOk());
  CHECK(out == std::vector<Frame>{{StreamType::kStderr, "ab"}});
  CHECK(d.midFrame());
  REQUIRE(d.feed(wire.substr(10), out).isOk());
  CHECK(out == std::vector<Frame>{{StreamType::kStderr, "ab"}, {StreamType::kStderr, "cdef"}});
  CHECK_FALSE(d.midFrame());
}

TEST_CASE("StreamDemuxer does not buffer a frame's announced size", "[stream_demux]") {
  // A header claiming 4 GiB - 1 must not make the decoder wait for or allocate it.
  StreamDemuxer d;
  std::vector<Frame> out;
  REQUIRE(d.feed(bytes({1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}) + "xyz", out).isOk());
  CHECK(out == std::vector<Frame>{{StreamType::kStdout, "xyz"}});
  CHECK(d.midFrame());
}

TEST_CASE("StreamDemuxer::midFrame reports partial headers and payloads", "[stream_demux]") {
  StreamDemuxer d;
  std::vector<Frame> out;
  CHECK_FALSE(d.midFrame());
  REQUIRE(d.feed("", out).isOk());
  CHECK_FALSE(d.midFrame());
  REQUIRE(d.feed(bytes({1, 0, 0}), out).isOk());
  CHECK(d.midFrame());
  CHECK(out.empty());
  REQUIRE(d.feed(bytes({0, 0, 0, 0, 0}), out).isOk());
  // A complete zero-length frame ends the frame.
  CHECK_FALSE(d.midFrame());
  CHECK(out.empty());
}

TEST_CASE("StreamDemuxer rejects corrupt headers with DATA_LOSS", "[stream_demux]") {
  std::vector<Frame> out;

  SECTION("unknown stream type") {
    StreamDemuxer d;
    Status s = d.feed(bytes({4, 0, 0, 0, 0, 0, 0, 1}) + "x", out);
    CHECK(s.code() == Code::kDataLoss);
    CHECK_THAT(s.message(), Catch::Contains("unknown stream type 0x04"));
    CHECK(out.empty());
  }

  SECTION("raw TTY output instead of frames") {
    StreamDemuxer d;
    Status s = d.feed("total 0\ndrwxr-xr-x", out);
    CHECK(s.code() == Code::kDataLoss);
    CHECK_THAT(s.message(), Catch::Contains("0x74"));
  }

  for (int pos = 1; pos <= 3; ++pos) {
    DYNAMIC_SECTION("non-zero padding byte " << pos) {
      std::string header = bytes({2, 0, 0, 0, 0, 0, 0, 0});
      header[pos] = 1;
      StreamDemuxer d;
      Status s = d.feed(header, out);
      CHECK(s.code() == Code::kDataLoss);
      CHECK_THAT(s.message(), Catch::Contains("padding"));
    }
  }

  SECTION("frames before the corrupt header are kept and the error sticks") {
    StreamDemuxer d;
    std::string wire = encodeFrame(StreamType::kStdout, "ok") + bytes({9, 0, 0, 0, 0, 0, 0, 0});
    Status s = d.feed(wire, out);
    CHECK(s.code() == Code::kDataLoss);
    CHECK(out == std::vector<Frame>{{StreamType::kStdout, "ok"}});
    Status again = d.feed(encodeFrame(StreamType::kStdout, "more"), out);
    CHECK(again.code() == Code::kDataLoss);
    CHECK(again.message() == s.message());
    CHECK(out.size() == 1);
  }

  SECTION("a corrupt header split across calls is caught when complete") {
    StreamDemuxer d;
    REQUIRE(d.feed(bytes({7, 0, 0, 0}), out).isOk());
    CHECK(d.feed(bytes({0, 0, 0, 0}), out).code() == Code::kDataLoss);
  }
}

}  // namespace
}  // namespace dockershim::docker
