#include "logs/docker_log_stream.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "docker/stream_demux.h"

namespace dockershim::logs {
namespace {

constexpr int64_t kT0 = 1795860000LL * 1'000'000'000LL;  // 2026-11-28T10:00:00Z

// One message as Docker's logs API writes it with timestamps (nine fraction digits).
std::string message(int64_t t, const std::string& text) {
  std::string ts = formatRfc3339Nano(t);
  // Docker pads the fraction to nine digits: "…00.000000100Z".
  auto dot = ts.find('.');
  std::string frac = dot == std::string::npos ? "" : ts.substr(dot + 1, ts.size() - dot - 2);
  frac.resize(9, '0');
  return ts.substr(0, dot == std::string::npos ? ts.size() - 1 : dot) + "." + frac + "Z " + text;
}

std::string frame(docker::StreamType s, int64_t t, const std::string& text) {
  return docker::encodeFrame(s, message(t, text));
}

std::string record(int64_t t, const std::string& stream, const std::string& tag,
                   const std::string& text) {
  return formatRfc3339Nano(t) + " " + stream + " " + tag + " " + text + "\n";
}

TEST_CASE("docker log stream: multiplexed messages become CRI records", "[logs]") {
  DockerLogStream s("c1", /*multiplexed=*/true, std::nullopt);
  std::string body = frame(docker::StreamType::kStdout, kT0, "hello\n") +
                     frame(docker::StreamType::kStderr, kT0 + 5, "oops\n") +
                     frame(docker::StreamType::kStdout, kT0 + 9, "part") +  // a 16 KiB split
                     frame(docker::StreamType::kStdout, kT0 + 9, "ial\n");
  std::string out;
  // Byte by byte: frames arrive in any pieces.
  for (char c : body) REQUIRE(s.feed(std::string_view(&c, 1), out));
  CHECK(out == record(kT0, "stdout", "F", "hello") + record(kT0 + 5, "stderr", "F", "oops") +
                   record(kT0 + 9, "stdout", "P", "part") + record(kT0 + 9, "stdout", "F", "ial"));
  REQUIRE(s.position());
  CHECK(s.position()->unixNanos == kT0 + 9);
  CHECK(s.position()->recordsAtTime == 2);
}

TEST_CASE("docker log stream: the last piece of a split line ends it, newline or not", "[logs]") {
  // Docker 20.10's local driver drops the newline of a split line's last piece; later Dockers
  // keep it. Either way the kubelet sees one line, then the next.
  for (const char* last : {"tail", "tail\n"}) {
    CAPTURE(last);
    DockerLogStream s("c1", true, std::nullopt);
    std::string out;
    REQUIRE(s.feed(frame(docker::StreamType::kStdout, kT0, std::string(16384, 'x')) +
                       frame(docker::StreamType::kStdout, kT0, std::string(16384, 'y')) +
                       frame(docker::StreamType::kStdout, kT0, last) +
                       frame(docker::StreamType::kStdout, kT0 + 7, "next\n"),
                   out));
    CHECK(out == record(kT0, "stdout", "P", std::string(16384, 'x')) +
                     record(kT0, "stdout", "P", std::string(16384, 'y')) +
                     record(kT0, "stdout", "F", "tail") + record(kT0 + 7, "stdout", "F", "next"));
  }
  // Output that ends without a newline (the process exited mid-line) stays a piece.
  DockerLogStream s("c1", true, std::nullopt);
  std::string out;
  REQUIRE(s.feed(frame(docker::StreamType::kStdout, kT0, "partial"), out));
  CHECK(out == record(kT0, "stdout", "P", "partial"));
}

TEST_CASE("docker log stream: Docker's own errors are not output, bad framing stops", "[logs]") {
  DockerLogStream s("c1", true, std::nullopt);
  std::string out;
  REQUIRE(s.feed(docker::encodeFrame(docker::StreamType::kSystemErr,
                                     "Error grabbing logs: log message is too large\n"),
                 out));
  CHECK(out.empty());
  CHECK(s.dockerError() == "Error grabbing logs: log message is too large");
  Status st = s.feed(std::string("\x07\x00\x00\x00\x00\x00\x00\x01x", 9), out);
  CHECK(st.code() == Code::kDataLoss);
  CHECK(s.feed(frame(docker::StreamType::kStdout, kT0, "late\n"), out).code() == Code::kDataLoss);
  s.restart();  // the stream opened again
  REQUIRE(s.feed(frame(docker::StreamType::kStdout, kT0, "again\n"), out));
  CHECK(out == record(kT0, "stdout", "F", "again"));
}

TEST_CASE("docker log stream: a TTY's raw stream is stdout, line by line", "[logs]") {
  DockerLogStream s("c1", /*multiplexed=*/false, std::nullopt);
  std::string out;
  std::string body = message(kT0, "one\r\n") + message(kT0 + 1, "two\r\n");
  REQUIRE(s.feed(body.substr(0, 7), out));
  CHECK(out.empty());
  REQUIRE(s.feed(body.substr(7), out));
  CHECK(out == record(kT0, "stdout", "F", "one\r") + record(kT0 + 1, "stdout", "F", "two\r"));
}

TEST_CASE("docker log stream: a TTY's pieces without a newline are told from the next message",
          "[logs]") {
  // A shell prompt, then what was typed: Docker writes the next stamp right after the prompt.
  DockerLogStream s("c1", /*multiplexed=*/false, std::nullopt);
  std::string out;
  REQUIRE(s.feed(message(kT0, "/ # ") + message(kT0 + 5, "echo hi\r\n"), out));
  CHECK(out == record(kT0, "stdout", "P", "/ # ") + record(kT0 + 5, "stdout", "F", "echo hi\r"));
  // Output that merely contains a time of another shape stays one line.
  out.clear();
  REQUIRE(s.feed(message(kT0 + 6, "at 2026-11-28T10:00:00.5Z done\n"), out));
  CHECK(out == record(kT0 + 6, "stdout", "F", "at 2026-11-28T10:00:00.5Z done"));
}

TEST_CASE("docker log stream: what the CRI log holds is not copied again", "[logs]") {
  // The CRI log ends with two records at kT0 + 9: Docker sends everything since kT0 + 9 again.
  DockerLogStream s("c1", true, ResumePoint{kT0 + 9, 2});
  std::string out;
  REQUIRE(s.feed(frame(docker::StreamType::kStdout, kT0 + 9, "a\n") +
                     frame(docker::StreamType::kStdout, kT0 + 9, "b\n") +
                     frame(docker::StreamType::kStdout, kT0 + 9, "c\n") +
                     frame(docker::StreamType::kStdout, kT0 + 10, "d\n"),
                 out));
  CHECK(out == record(kT0 + 9, "stdout", "F", "c") + record(kT0 + 10, "stdout", "F", "d"));
  // The stream cut and opened again from the position: nothing repeated.
  s.restart();
  out.clear();
  REQUIRE(s.feed(frame(docker::StreamType::kStdout, kT0 + 10, "d\n") +
                     frame(docker::StreamType::kStdout, kT0 + 11, "e\n"),
                 out));
  CHECK(out == record(kT0 + 11, "stdout", "F", "e"));
}

TEST_CASE("docker log stream: messages without a time or over the limit are skipped", "[logs]") {
  DockerLogStream s("c1", true, std::nullopt, /*maxEntryBytes=*/64);
  std::string out;
  REQUIRE(s.feed(docker::encodeFrame(docker::StreamType::kStdout, "no time here\n"), out));
  REQUIRE(s.feed(frame(docker::StreamType::kStdout, kT0, std::string(100, 'x') + "\n"), out));
  REQUIRE(s.feed(frame(docker::StreamType::kStdout, kT0 + 1, "fine\n"), out));
  CHECK(out == record(kT0 + 1, "stdout", "F", "fine"));
  DockerLogStream raw("c2", false, std::nullopt, 64);
  out.clear();
  REQUIRE(raw.feed(message(kT0, std::string(100, 'y') + "\n") + message(kT0 + 2, "ok\n"), out));
  CHECK(out == record(kT0 + 2, "stdout", "F", "ok"));
}

}  // namespace
}  // namespace dockershim::logs
