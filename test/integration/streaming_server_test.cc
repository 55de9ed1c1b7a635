// The streaming server against hostile and broken clients, with a fake runtime (the faults here
// are the client's; the real chain is in test/e2e/streaming_test.cc).
#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/stream_client.h"
#include "streaming/server.h"

namespace dockershim::streaming {
namespace {

using e2e::HttpAnswer;
using e2e::SpdyClient;
using e2e::WsClient;
using namespace std::chrono_literals;

// A process that echoes its input to stdout and exits 0 when its input ends (or at abort()).
class EchoProcess : public Process {
 public:
  explicit EchoProcess(std::atomic<int>& aborts) : aborts_(aborts) {}
  Result<OutputChunk> readOutput(Deadline deadline) override {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return !queue_.empty() || ended_; })) {
      return Status(Code::kDeadlineExceeded, "no output yet");
    }
    if (queue_.empty()) return OutputChunk{};
    OutputChunk c{OutputStream::kStdout, std::move(queue_.front())};
    queue_.pop_front();
    return c;
  }
  Status writeInput(std::string_view data, Deadline) override {
    std::lock_guard lock(mu_);
    queue_.emplace_back(data);
    cv_.notify_all();
    return Status::ok();
  }
  Status closeInput() override {
    std::lock_guard lock(mu_);
    ended_ = true;
    cv_.notify_all();
    return Status::ok();
  }
  Status resize(TerminalSize, Deadline) override { return Status::ok(); }
  Result<int> exitCode(Deadline) override { return 0; }
  void abort() override {
    ++aborts_;
    (void)closeInput();
  }

 private:
  std::atomic<int>& aborts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool ended_ = false;
};

// A process that never reads its input: a stdin write blocks until abort().
class StuckProcess : public EchoProcess {
 public:
  using EchoProcess::EchoProcess;
  Status writeInput(std::string_view, Deadline deadline) override {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return aborted_; });
    return Status(Code::kCancelled, "aborted");
  }
  void abort() override {
    {
      std::lock_guard lock(mu_);
      aborted_ = true;
      cv_.notify_all();
    }
    EchoProcess::abort();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool aborted_ = false;
};

class FakeRuntime : public StreamingRuntime {
 public:
  Result<std::unique_ptr<Process>> exec(const ExecRequest& r, Deadline) override {
    ++execs;
    if (r.cmd == std::vector<std::string>{"stuck"}) {
      return std::unique_ptr<Process>(std::make_unique<StuckProcess>(aborts));
    }
    return std::unique_ptr<Process>(std::make_unique<EchoProcess>(aborts));
  }
  Result<std::unique_ptr<Process>> attach(const ExecRequest& r, Deadline d) override {
    return exec(r, d);
  }
  Result<std::unique_ptr<Connection>> portForward(const std::string&, uint16_t port,
                                                  Deadline) override {
    return Status(Code::kUnavailable,
                  "connect to localhost:" + std::to_string(port) + ": Connection refused");
  }
  std::atomic<int> execs{0};
  std::atomic<int> aborts{0};
};

struct Fixture {
  FakeRuntime runtime;
  Server server;
  explicit Fixture(ServerOptions options = {}) : server(std::move(options), runtime) {
    REQUIRE(server.start());
  }
  std::string execUrl(bool in = true) {
    PendingRequest r;
    r.kind = RequestKind::kExec;
    r.exec = {"c1", {"cat"}, false, in, true, false};
    auto url = server.urlFor(r);
    REQUIRE(url);
    return *url;
  }
  // The server is still healthy: a normal session works end to end.
  void checkStillServes() {
    HttpAnswer answer;
    auto c = SpdyClient::connect(execUrl(), {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    REQUIRE(c->open(1, {{"streamtype", "error"}}));
    REQUIRE(c->open(3, {{"streamtype", "stdin"}}));
    REQUIRE(c->open(5, {{"streamtype", "stdout"}}));
    REQUIRE(c->send(3, "ping", true));
    REQUIRE(c->pump([&] { return c->finished[1] && c->finished[5]; },
                    std::chrono::steady_clock::now() + 10s));
    CHECK(c->data[5] == "ping");
    CHECK(nlohmann::json::parse(c->data[1])["status"] == "Success");
  }
};

// Reads until the server closes the connection; true if it did within the limit.
bool closedByServer(common::SocketStream& s, std::chrono::seconds limit = 10s) {
  char buf[4096];
  auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto n = s.read(buf, sizeof buf, until);
    if (!n) return n.status().code() != Code::kDeadlineExceeded;
    if (*n == 0) return true;
  }
}

TEST_CASE("streaming server: a working session, then a refused reuse", "[streaming]") {
  Fixture f;
  f.checkStillServes();
  auto url = f.execUrl();
  HttpAnswer first, second;
  auto c = SpdyClient::connect(url, {"v4.channel.k8s.io"}, first);
  REQUIRE(c);
  CHECK_FALSE(SpdyClient::connect(url, {"v4.channel.k8s.io"}, second));
  CHECK(second.status == 404);
  // An exec token is no attach token.
  HttpAnswer wrongKind;
  auto asAttach = f.execUrl();
  asAttach.replace(asAttach.find("/exec/"), 6, "/attach/");
  CHECK_FALSE(SpdyClient::connect(asAttach, {"v4.channel.k8s.io"}, wrongKind));
  CHECK(wrongKind.status == 404);
}

TEST_CASE("streaming server: garbage after the SPDY upgrade closes that session only",
          "[streaming]") {
  Fixture f;
  SECTION("random bytes") {
    HttpAnswer answer;
    auto c = SpdyClient::connect(f.execUrl(), {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    REQUIRE(c->socket().write(std::string(64, '\xff'), std::chrono::steady_clock::now() + 5s));
    CHECK(closedByServer(c->socket()));
  }
  SECTION("a SYN_STREAM whose header block is not zlib") {
    HttpAnswer answer;
    auto c = SpdyClient::connect(f.execUrl(), {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    // SYN_STREAM, length 24: stream 1, no associated stream, priority and slot 0, then 14
    // bytes that are no zlib stream.
    std::string frame(
        "\x80\x03\x00\x01\x00\x00\x00\x18"
        "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00",
        18);
    frame += "not zlib data!";
    REQUIRE(c->socket().write(frame, std::chrono::steady_clock::now() + 5s));
    CHECK(closedByServer(c->socket()));
  }
  SECTION("a frame that claims 16 MiB of headers") {
    HttpAnswer answer;
    auto c = SpdyClient::connect(f.execUrl(), {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    std::string frame = {'\x80', '\x03', '\x00', '\x01', '\x00', '\xff', '\xff', '\xff'};
    REQUIRE(c->socket().write(frame, std::chrono::steady_clock::now() + 5s));
    CHECK(closedByServer(c->socket()));
  }
  f.checkStillServes();
}

TEST_CASE("streaming server: malformed HTTP and WebSocket input", "[streaming]") {
  Fixture f;
  SECTION("a request head over the limit") {
    HttpAnswer answer;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}, {"X-Big", std::string(20000, 'a')}};
    CHECK_FALSE(e2e::httpUpgrade(f.execUrl(), "POST", headers, answer));
    CHECK((answer.status == 400 || answer.status == 0));
  }
  SECTION("no upgrade at all") {
    HttpAnswer answer;
    CHECK_FALSE(e2e::httpUpgrade(f.execUrl(), "GET", {}, answer));
    CHECK(answer.status == 400);
  }
  SECTION("an unmasked client frame gets close code 1002") {
    HttpAnswer answer;
    auto c = WsClient::connect(f.execUrl(), {"v5.channel.k8s.io"}, answer);
    REQUIRE(c);
    REQUIRE(c->socket().write(ws::encodeFrame(ws::Opcode::kBinary, "\x00hi"),
                              std::chrono::steady_clock::now() + 5s));
    c->pump([&] { return c->closed; }, std::chrono::steady_clock::now() + 10s);
    CHECK(c->closed);
    CHECK(c->closeCode == ws::kCloseProtocolError);
    // The session's process is ended right after the close frame went out.
    for (int i = 0; i < 200 && f.runtime.aborts == 0; ++i) std::this_thread::sleep_for(10ms);
    CHECK(f.runtime.aborts >= 1);
  }
  SECTION("a WebSocket version we do not speak gets 426") {
    HttpAnswer answer;
    CHECK_FALSE(e2e::httpUpgrade(f.execUrl(), "GET",
                                 {{"Connection", "Upgrade"},
                                  {"Upgrade", "websocket"},
                                  {"Sec-WebSocket-Version", "8"},
                                  {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}},
                                 answer));
    CHECK(answer.status == 426);
  }
  f.checkStillServes();
}

TEST_CASE("streaming server: timeouts", "[streaming]") {
  ServerOptions options;
  options.idleTimeout = 1s;
  options.streamCreationTimeout = 1s;
  Fixture f(options);
  SECTION("a client that opens no streams is let go") {
    HttpAnswer answer;
    auto c = SpdyClient::connect(f.execUrl(), {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    CHECK(closedByServer(c->socket(), 10s));
    CHECK(f.runtime.execs == 0);
  }
  SECTION("an idle session is closed and its process ended") {
    HttpAnswer answer;
    auto c = SpdyClient::connect(f.execUrl(), {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    REQUIRE(c->open(1, {{"streamtype", "error"}}));
    REQUIRE(c->open(3, {{"streamtype", "stdin"}}));
    REQUIRE(c->open(5, {{"streamtype", "stdout"}}));
    CHECK(closedByServer(c->socket(), 10s));
    CHECK(f.runtime.aborts == 1);
  }
}

TEST_CASE("streaming server: a port-forward to a closed port reports it on the error stream",
          "[streaming]") {
  Fixture f;
  PendingRequest r;
  r.kind = RequestKind::kPortForward;
  r.forward.sandboxId = "pod1";
  auto url = f.server.urlFor(r);
  REQUIRE(url);
  HttpAnswer answer;
  auto c = SpdyClient::connect(*url, {"portforward.k8s.io"}, answer);
  REQUIRE(c);
  REQUIRE(c->open(1, {{"streamtype", "error"}, {"port", "80"}, {"requestid", "0"}}, true));
  REQUIRE(c->open(3, {{"streamtype", "data"}, {"port", "80"}, {"requestid", "0"}}));
  REQUIRE(c->pump([&] { return c->finished[1] && c->finished[3]; },
                  std::chrono::steady_clock::now() + 10s));
  CHECK(c->data[1].find("error forwarding port 80 to pod pod1") != std::string::npos);
  // Streams with a bad port or type are refused, the session lives on.
  CHECK_FALSE(c->open(5, {{"streamtype", "data"}, {"port", "0"}, {"requestid", "1"}}));
  CHECK_FALSE(c->open(7, {{"streamtype", "bogus"}, {"port", "80"}, {"requestid", "1"}}));
  REQUIRE(c->ping(1));
  REQUIRE(c->pump([&] { return !c->pongs.empty(); }, std::chrono::steady_clock::now() + 10s));
  CHECK(c->pongs[0] == 1);
}

TEST_CASE("streaming server: stop() ends sessions blocked on a process that does not read",
          "[streaming]") {
  auto f = std::make_unique<Fixture>();
  PendingRequest r;
  r.kind = RequestKind::kExec;
  r.exec = {"c1", {"stuck"}, false, true, true, false};
  auto url = f->server.urlFor(r);
  REQUIRE(url);
  HttpAnswer answer;
  auto c = SpdyClient::connect(*url, {"v4.channel.k8s.io"}, answer);
  REQUIRE(c);
  REQUIRE(c->open(1, {{"streamtype", "error"}}));
  REQUIRE(c->open(3, {{"streamtype", "stdin"}}));
  REQUIRE(c->open(5, {{"streamtype", "stdout"}}));
  REQUIRE(c->send(3, "nobody reads this"));
  std::this_thread::sleep_for(200ms);
  auto start = std::chrono::steady_clock::now();
  f->server.stop();
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(f->runtime.aborts >= 1);
  CHECK(f->server.activeConnections() == 0);
}

TEST_CASE("streaming server: bind addresses", "[streaming]") {
  FakeRuntime runtime;
  for (const char* bad : {"nonsense", "127.0.0.1:99999", "localhost:0", "127.0.0.1:"}) {
    ServerOptions o;
    o.bindAddress = bad;
    Server s(o, runtime);
    INFO(bad);
    auto st = s.start();
    CHECK_FALSE(st);
  }
  ServerOptions o;
  o.bindAddress = ":0";
  Server any(o, runtime);
  REQUIRE(any.start());
  CHECK(any.baseUrl().rfind("http://127.0.0.1:", 0) == 0);
  o.bindAddress = "[::1]:0";
  Server v6(o, runtime);
  if (v6.start()) CHECK(v6.baseUrl().rfind("http://[::1]:", 0) == 0);
}

}  // namespace
}  // namespace dockershim::streaming
