// Exec, Attach and PortForward through the real chain, with the project's own SPDY and
// WebSocket clients speaking as kubectl/crictl/kubelet do.
#include <sys/socket.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/pod_util.h"
#include "e2e/stream_client.h"

using namespace dockershim;
using namespace dockershim::e2e;
namespace spdy = dockershim::streaming::spdy;
namespace ws = dockershim::streaming::ws;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

grpc::Status execUrl(Shim& shim, const std::string& id, std::vector<std::string> cmd, bool tty,
                     bool in, bool out, bool err, std::string* url) {
  v1::ExecRequest req;
  req.set_container_id(id);
  for (auto& c : cmd) req.add_cmd(c);
  req.set_tty(tty);
  req.set_stdin(in);
  req.set_stdout(out);
  req.set_stderr(err);
  v1::ExecResponse resp;
  Ctx ctx;
  auto s = shim.runtime->Exec(&ctx, req, &resp);
  if (url) *url = resp.url();
  return s;
}

std::string mustExecUrl(Shim& shim, const std::string& id, std::vector<std::string> cmd, bool tty,
                        bool in, bool out, bool err) {
  std::string url;
  auto s = execUrl(shim, id, std::move(cmd), tty, in, out, err, &url);
  INFO(describe(s));
  REQUIRE(s.ok());
  REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
  return url;
}

std::string portForwardUrl(Shim& shim, const std::string& podId, std::vector<int32_t> ports) {
  v1::PortForwardRequest req;
  req.set_pod_sandbox_id(podId);
  for (auto p : ports) req.add_port(p);
  v1::PortForwardResponse resp;
  Ctx ctx;
  auto s = shim.runtime->PortForward(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return resp.url();
}

struct SpdyExec {
  std::unique_ptr<SpdyClient> client;
  uint32_t error = 0, in = 0, out = 0, err = 0, resize = 0;
  std::string protocol;

  bool allDone() {
    for (uint32_t id : {error, out, err}) {
      if (id != 0 && !client->finished[id]) return false;
    }
    return true;
  }
  bool wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
    return client->pump([&] { return allDone(); }, Clock::now() + limit);
  }
  std::string stdoutText() { return client->data[out]; }
  std::string stderrText() { return err ? client->data[err] : ""; }
  json status() { return json::parse(client->data[error], nullptr, false); }
};

// Opens the streams in the order client-go does: error, stdin, stdout, stderr, resize.
SpdyExec spdyExec(const std::string& url, bool tty, bool in, bool out, bool err,
                  std::vector<std::string> protocols = {"v4.channel.k8s.io"}) {
  SpdyExec e;
  HttpAnswer answer;
  e.client = SpdyClient::connect(url, protocols, answer);
  INFO("HTTP " << answer.status << " " << answer.body);
  REQUIRE(e.client);
  e.protocol = answer.headers["x-stream-protocol-version"];
  uint32_t next = 1;
  auto open = [&](const char* type) {
    uint32_t id = next;
    next += 2;
    REQUIRE(e.client->open(id, {{"streamtype", type}}));
    return id;
  };
  e.error = open("error");
  if (in) e.in = open("stdin");
  if (out) e.out = open("stdout");
  if (err && !tty) e.err = open("stderr");
  if (tty) e.resize = open("resize");
  return e;
}

void checkSuccess(const json& status) {
  INFO(status.dump());
  CHECK(status["status"] == "Success");
}

int exitCodeOf(const json& status) {
  INFO(status.dump());
  REQUIRE(status["status"] == "Failure");
  CHECK(status["reason"] == "NonZeroExitCode");
  return std::stoi(status["details"]["causes"][0]["message"].get<std::string>());
}

}  // namespace

TEST_CASE("Exec, Attach and PortForward validate before handing out a URL", "[streaming]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("streamcheck");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  std::string url;
  CHECK(execUrl(shim, id, {}, false, false, true, true, &url).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(execUrl(shim, id, {"true"}, false, false, false, false, &url).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(execUrl(shim, id, {"true"}, true, false, true, true, &url).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(execUrl(shim, "", {"true"}, false, false, true, false, &url).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(execUrl(shim, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", {"true"},
                false, false, true, false, &url)
            .error_code() == grpc::StatusCode::NOT_FOUND);
  {
    v1::AttachRequest req;
    req.set_container_id(id);
    req.set_stdout(true);
    req.set_stderr(true);
    req.set_tty(true);
    v1::AttachResponse resp;
    Ctx ctx;
    CHECK(shim.runtime->Attach(&ctx, req, &resp).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    v1::PortForwardRequest req;
    req.set_pod_sandbox_id(podId);
    req.add_port(70000);
    v1::PortForwardResponse resp;
    Ctx ctx;
    CHECK(shim.runtime->PortForward(&ctx, req, &resp).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
    req.clear_port();
    req.set_pod_sandbox_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    Ctx ctx2;
    CHECK(shim.runtime->PortForward(&ctx2, req, &resp).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  REQUIRE(stopContainer(shim, id).ok());
  CHECK(execUrl(shim, id, {"true"}, false, false, true, false, &url).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  cleanupPod(shim, podId);
}

TEST_CASE("exec over SPDY: output, exit codes, stdin and a single-use URL",
          "[streaming][exec][spdy]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("spdyexec");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));

  SECTION("stdout and stderr apart, Success on the error stream") {
    auto url = mustExecUrl(shim, id, {"sh", "-c", "echo -n hello; echo -n oops >&2"}, false, false,
                           true, true);
    auto e = spdyExec(url, false, false, true, true,
                      {"v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io",
                       "v2.channel.k8s.io", "channel.k8s.io"});
    CHECK(e.protocol == "v5.channel.k8s.io");  // the client's first choice
    REQUIRE(e.wait());
    CHECK(e.stdoutText() == "hello");
    CHECK(e.stderrText() == "oops");
    checkSuccess(e.status());
    // The URL was good for one connection.
    HttpAnswer again;
    CHECK_FALSE(SpdyClient::connect(url, {"v4.channel.k8s.io"}, again));
    CHECK(again.status == 404);
  }
  SECTION("a non-zero exit code is reported as NonZeroExitCode") {
    auto url = mustExecUrl(shim, id, {"sh", "-c", "exit 7"}, false, false, true, true);
    auto e = spdyExec(url, false, false, true, true);
    REQUIRE(e.wait());
    CHECK(exitCodeOf(e.status()) == 7);
  }
  SECTION("v2 reports failure as text and nothing on success") {
    auto url = mustExecUrl(shim, id, {"sh", "-c", "exit 3"}, false, false, true, true);
    auto e = spdyExec(url, false, false, true, true, {"v2.channel.k8s.io"});
    REQUIRE(e.wait());
    CHECK(e.client->data[e.error].find("exit") != std::string::npos);
    auto ok = mustExecUrl(shim, id, {"true"}, false, false, true, true);
    auto e2 = spdyExec(ok, false, false, true, true, {"v2.channel.k8s.io"});
    REQUIRE(e2.wait());
    CHECK(e2.client->data[e2.error].empty());
  }
  SECTION("stdin reaches the process and its end ends cat") {
    auto url = mustExecUrl(shim, id, {"cat"}, false, true, true, true);
    auto e = spdyExec(url, false, true, true, true);
    REQUIRE(e.client->send(e.in, "line one\n"));
    REQUIRE(e.client->send(e.in, "line two\n", /*fin=*/true));
    REQUIRE(e.wait());
    CHECK(e.stdoutText() == "line one\nline two\n");
    checkSuccess(e.status());
  }
  SECTION("no common protocol, or none named, is refused") {
    auto url = mustExecUrl(shim, id, {"true"}, false, false, true, false);
    HttpAnswer answer;
    CHECK_FALSE(SpdyClient::connect(url, {"v9.channel.k8s.io"}, answer));
    CHECK(answer.status == 403);
    auto url2 = mustExecUrl(shim, id, {"true"}, false, false, true, false);
    HttpAnswer none;
    CHECK_FALSE(SpdyClient::connect(url2, {}, none));
    CHECK(none.status == 400);
  }
  SECTION("tens of MB each way arrive intact") {
    auto url = mustExecUrl(shim, id, {"sh", "-c", "head -c 30000000 /dev/zero | tr '\\0' x"}, false,
                           false, true, true);
    auto e = spdyExec(url, false, false, true, true);
    REQUIRE(e.wait(std::chrono::seconds(120)));
    CHECK(e.stdoutText().size() == 30000000);
    CHECK(e.stdoutText().find_first_not_of('x') == std::string::npos);
    checkSuccess(e.status());

    auto up = mustExecUrl(shim, id, {"wc", "-c"}, false, true, true, true);
    auto u = spdyExec(up, false, true, true, true);
    std::string block(1 << 20, 'y');
    std::thread writer([&] {
      for (int i = 0; i < 25; ++i) u.client->send(u.in, block);
      u.client->send(u.in, "", true);
    });
    bool done = u.wait(std::chrono::seconds(120));
    writer.join();
    REQUIRE(done);
    CHECK(u.stdoutText().find(std::to_string(25 << 20)) != std::string::npos);
  }
  cleanupPod(shim, podId);
}

TEST_CASE("tty exec over SPDY follows the resize stream", "[streaming][exec][spdy][tty]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("ttyexec");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  auto url = mustExecUrl(shim, id, {"sh", "-c", "read go; stty size"}, true, true, true, false);
  auto e = spdyExec(url, true, true, true, false);
  REQUIRE(e.resize != 0);
  REQUIRE(e.client->send(e.resize, R"({"Width":123,"Height":45})"
                                   "\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(e.client->send(e.in, "go\r"));
  // The session ends when the process exits although stdin stays open (critest does that).
  REQUIRE(e.wait());
  CHECK(e.stdoutText().find("45 123") != std::string::npos);
  checkSuccess(e.status());
  cleanupPod(shim, podId);
}

TEST_CASE("exec over WebSocket: v5 with the close signal, v4 and base64", "[streaming][exec][ws]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("wsexec");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));

  SECTION("v5: stdin closed by the close signal") {
    auto url = mustExecUrl(shim, id, {"cat"}, false, true, true, true);
    HttpAnswer answer;
    auto c = WsClient::connect(url, {"v5.channel.k8s.io"}, answer);
    INFO("HTTP " << answer.status << " " << answer.body);
    REQUIRE(c);
    CHECK(answer.headers["sec-websocket-protocol"] == "v5.channel.k8s.io");
    REQUIRE(c->sendChannel(0, "through websocket\n"));
    REQUIRE(c->sendBinary(std::string("\xff\x00", 2)));
    REQUIRE(c->pump([&] { return c->closed; }, Clock::now() + std::chrono::seconds(60)));
    CHECK(c->channels[1] == "through websocket\n");
    checkSuccess(json::parse(c->channels[3], nullptr, false));
  }
  SECTION("v4: exit code; pings answered") {
    auto url = mustExecUrl(shim, id, {"sh", "-c", "sleep 1; echo -n out; exit 4"}, false, false,
                           true, true);
    HttpAnswer answer;
    auto c = WsClient::connect(url, {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    REQUIRE(c->sendControl(ws::Opcode::kPing, "are you there"));
    REQUIRE(c->pump([&] { return c->closed; }, Clock::now() + std::chrono::seconds(60)));
    CHECK(c->pongs == std::vector<std::string>{"are you there"});
    CHECK(c->channels[1] == "out");
    CHECK(exitCodeOf(json::parse(c->channels[3], nullptr, false)) == 4);
  }
  SECTION("v4.base64: text frames") {
    auto url = mustExecUrl(shim, id, {"sh", "-c", "printf 'a\\001b'"}, false, false, true, true);
    HttpAnswer answer;
    auto c = WsClient::connect(url, {"v4.base64.channel.k8s.io"}, answer);
    REQUIRE(c);
    c->base64 = true;
    REQUIRE(c->pump([&] { return c->closed; }, Clock::now() + std::chrono::seconds(60)));
    CHECK(c->channels[1] == std::string("a\001b"));
    checkSuccess(json::parse(c->channels[3], nullptr, false));
  }
  cleanupPod(shim, podId);
}

TEST_CASE("attach joins the container's own stdio", "[streaming][attach]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("attach");
  std::string podId = runPod(shim, pod);
  auto config = containerConfig("sh", {"sh"});
  config.set_stdin(true);
  config.set_stdin_once(true);
  std::string id = startContainer(shim, podId, pod, config);

  v1::AttachRequest req;
  req.set_container_id(id);
  req.set_stdin(true);
  req.set_stdout(true);
  req.set_stderr(true);
  v1::AttachResponse resp;
  {
    Ctx ctx;
    auto s = shim.runtime->Attach(&ctx, req, &resp);
    INFO(describe(s));
    REQUIRE(s.ok());
  }
  auto e = spdyExec(resp.url(), false, true, true, true);
  REQUIRE(e.client->send(e.in, "echo -n hello\n"));
  REQUIRE(e.client->pump([&] { return e.stdoutText() == "hello"; },
                         Clock::now() + std::chrono::seconds(30)));
  // Closing stdin ends sh (stdin_once), and with it the session.
  REQUIRE(e.client->send(e.in, "", true));
  REQUIRE(e.wait());
  CHECK(e.stdoutText() == "hello");
  CHECK(e.stderrText().empty());
  checkSuccess(e.status());
  cleanupPod(shim, podId);
}

TEST_CASE("a client that disconnects mid-exec leaves no process behind", "[streaming][exec]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("disconnect");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  auto url = mustExecUrl(shim, id, {"sleep", "4242"}, false, true, true, true);
  {
    auto e = spdyExec(url, false, true, true, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(execSync(shim, id, {"sh", "-c", "ps | grep -c '[s]leep 4242'"}).stdout() == "1\n");
    e.client->socket().close();
  }
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = execSync(shim, id, {"sh", "-c", "ps | grep -c '[s]leep 4242'"}).stdout() == "0\n";
  }
  CHECK(gone);
  cleanupPod(shim, podId);
}

TEST_CASE(
    "a client that hangs up while its stdin is stuck in a process that does not read "
    "leaves nothing behind",
    "[streaming][exec]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("stuckstdin");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  auto url = mustExecUrl(shim, id, {"sleep", "4243"}, false, true, true, true);
  auto e = spdyExec(url, false, true, true, true);
  // More than every buffer on the way holds: the daemon's stdin write blocks.
  std::thread writer([&] {
    std::string block(1 << 20, 'z');
    for (int i = 0; i < 64; ++i) {
      if (!e.client->send(e.in, block)) break;
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // The client dies: its kernel resets the connection. (A FIN could not arrive: it queues
  // behind the stdin bytes the daemon's full receive window refuses.)
  linger reset{1, 0};
  ::setsockopt(e.client->socket().fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::shutdown(e.client->socket().fd(), SHUT_RD);
  e.client->socket().close();
  writer.join();
  e.client.reset();
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = execSync(shim, id, {"sh", "-c", "ps | grep -c '[s]leep 4243'"}).stdout() == "0\n";
  }
  CHECK(gone);
  cleanupPod(shim, podId);
}

TEST_CASE("concurrent exec sessions", "[streaming][exec]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("concurrent");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  constexpr int kSessions = 8;
  std::vector<std::string> urls;
  for (int i = 0; i < kSessions; ++i) {
    urls.push_back(mustExecUrl(shim, id, {"sh", "-c", "sleep 1; echo -n " + std::to_string(i)},
                               false, false, true, true));
  }
  std::vector<SpdyExec> sessions;
  for (auto& u : urls) sessions.push_back(spdyExec(u, false, false, true, true));
  auto start = Clock::now();
  for (int i = 0; i < kSessions; ++i) {
    REQUIRE(sessions[i].wait());
    CHECK(sessions[i].stdoutText() == std::to_string(i));
  }
  // They ran side by side, not one after another.
  CHECK(Clock::now() - start < std::chrono::seconds(kSessions));
  cleanupPod(shim, podId);
}

namespace {

// A busybox httpd serving `body` on `port` inside the pod.
v1::ContainerConfig webServer(const std::string& body, int port) {
  return containerConfig(
      "web-" + std::to_string(port),
      {"sh", "-c",
       "mkdir -p /tmp/www && printf '" + body + "' > /tmp/www/index.html && exec httpd -f -p " +
           std::to_string(port) + " -h /tmp/www"});
}

// One HTTP GET through a SPDY port-forward stream pair.
std::string spdyGet(SpdyClient& c, uint32_t errorId, uint32_t dataId, int port, int requestId) {
  spdy::Headers common = {{"port", std::to_string(port)}, {"requestid", std::to_string(requestId)}};
  auto with = [&](const char* type) {
    auto h = common;
    h.insert(h.begin(), {"streamtype", type});
    return h;
  };
  REQUIRE(c.open(errorId, with("error"), /*fin=*/true));
  REQUIRE(c.open(dataId, with("data")));
  REQUIRE(c.send(dataId, "GET / HTTP/1.0\r\n\r\n"));
  c.pump([&] { return c.finished[dataId]; }, Clock::now() + std::chrono::seconds(30));
  return c.data[dataId];
}

}  // namespace

TEST_CASE("port-forward over SPDY reaches a server in the pod", "[streaming][portforward]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("pf");
  std::string podId = runPod(shim, pod);
  startContainer(shim, podId, pod, webServer("hello from the pod", 8080));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  auto url = portForwardUrl(shim, podId, {});
  HttpAnswer answer;
  auto c = SpdyClient::connect(url, {"portforward.k8s.io"}, answer);
  INFO("HTTP " << answer.status << " " << answer.body);
  REQUIRE(c);
  CHECK(answer.headers["x-stream-protocol-version"] == "portforward.k8s.io");
  auto first = spdyGet(*c, 1, 3, 8080, 0);
  CHECK(first.find("200 OK") != std::string::npos);
  CHECK(first.find("hello from the pod") != std::string::npos);
  // More connections on the same session, several at once.
  uint32_t next = 5;
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  for (int r = 1; r <= 4; ++r) {
    spdy::Headers h = {{"port", "8080"}, {"requestid", std::to_string(r)}};
    auto e = h, d = h;
    e.insert(e.begin(), {"streamtype", "error"});
    d.insert(d.begin(), {"streamtype", "data"});
    REQUIRE(c->open(next, e, true));
    REQUIRE(c->open(next + 2, d));
    pairs.emplace_back(next, next + 2);
    next += 4;
  }
  for (auto& [err, data] : pairs) REQUIRE(c->send(data, "GET / HTTP/1.0\r\n\r\n"));
  c->pump(
      [&] {
        for (auto& [err, data] : pairs) {
          if (!c->finished[data]) return false;
        }
        return true;
      },
      Clock::now() + std::chrono::seconds(30));
  for (auto& [err, data] : pairs) {
    CHECK(c->data[data].find("hello from the pod") != std::string::npos);
  }
  // Nothing listens on 8081: the error stream says so, the session lives on.
  spdy::Headers h = {{"port", "8081"}, {"requestid", "9"}};
  auto e = h, d = h;
  e.insert(e.begin(), {"streamtype", "error"});
  d.insert(d.begin(), {"streamtype", "data"});
  REQUIRE(c->open(next, e, true));
  REQUIRE(c->open(next + 2, d));
  c->pump([&] { return c->finished[next]; }, Clock::now() + std::chrono::seconds(30));
  CHECK(c->data[next].find("8081") != std::string::npos);
  CHECK(spdyGet(*c, next + 4, next + 6, 8080, 10).find("hello from the pod") != std::string::npos);
  cleanupPod(shim, podId);
}

TEST_CASE("port-forward into a host-network pod", "[streaming][portforward]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("pfhost");
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  std::string podId = runPod(shim, pod);
  const int port = 20000 + static_cast<int>(::getpid() % 20000);
  auto web = webServer("hello from the host network", port);
  web.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  startContainer(shim, podId, pod, web);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto url = portForwardUrl(shim, podId, {port});
  HttpAnswer answer;
  auto c = SpdyClient::connect(url, {"portforward.k8s.io"}, answer);
  REQUIRE(c);
  CHECK(spdyGet(*c, 1, 3, port, 0).find("hello from the host network") != std::string::npos);
  cleanupPod(shim, podId);
}

TEST_CASE("port-forward over WebSocket channels and the SPDY tunnel",
          "[streaming][portforward][ws]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("pfws");
  std::string podId = runPod(shim, pod);
  startContainer(shim, podId, pod, webServer("hello over websocket", 8080));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  SECTION("v4.channel.k8s.io: the port first, then the data") {
    auto url = portForwardUrl(shim, podId, {8080});
    HttpAnswer answer;
    auto c = WsClient::connect(url, {"v4.channel.k8s.io"}, answer);
    REQUIRE(c);
    REQUIRE(c->pump([&] { return c->channels[0].size() >= 2 && c->channels[1].size() >= 2; },
                    Clock::now() + std::chrono::seconds(10)));
    CHECK(c->channels[0].substr(0, 2) == std::string("\x90\x1f", 2));  // 8080 little-endian
    CHECK(c->channels[1] == std::string("\x90\x1f", 2));
    REQUIRE(c->sendChannel(0, "GET / HTTP/1.0\r\n\r\n"));
    c->pump([&] { return c->channels[0].find("hello over websocket") != std::string::npos; },
            Clock::now() + std::chrono::seconds(30));
    CHECK(c->channels[0].find("hello over websocket") != std::string::npos);
  }
  SECTION("v4.base64.channel.k8s.io: two ports, a closed one reported on its error channel") {
    startContainer(shim, podId, pod, webServer("second port", 8081));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto url = portForwardUrl(shim, podId, {8080, 8081, 8082});
    HttpAnswer answer;
    auto c = WsClient::connect(url, {"v4.base64.channel.k8s.io"}, answer);
    REQUIRE(c);
    c->base64 = true;
    REQUIRE(c->sendChannel(0, "GET / HTTP/1.0\r\n\r\n", true));
    REQUIRE(c->sendChannel(2, "GET / HTTP/1.0\r\n\r\n", true));
    c->pump(
        [&] {
          return c->channels[0].find("hello over websocket") != std::string::npos &&
                 c->channels[2].find("second port") != std::string::npos &&
                 c->channels[5].size() > 2;
        },
        Clock::now() + std::chrono::seconds(30));
    CHECK(c->channels[0].find("hello over websocket") != std::string::npos);
    CHECK(c->channels[2].find("second port") != std::string::npos);
    CHECK(c->channels[2].substr(0, 2) == std::string("\x91\x1f", 2));  // 8081
    CHECK(c->channels[5].find("8082") != std::string::npos);           // nothing listens there
  }
  SECTION("SPDY/3.1+portforward.k8s.io: SPDY in binary messages") {
    auto url = portForwardUrl(shim, podId, {});
    HttpAnswer answer;
    auto ws = WsClient::connect(url, {"SPDY/3.1+portforward.k8s.io"}, answer);
    REQUIRE(ws);
    CHECK(answer.headers["sec-websocket-protocol"] == "SPDY/3.1+portforward.k8s.io");
    spdy::Encoder enc;
    spdy::Decoder dec;
    auto syn = [&](uint32_t id, const char* type, bool fin) {
      auto b =
          enc.synStream({.streamId = id,
                         .fin = fin,
                         .headers = {{"streamtype", type}, {"port", "8080"}, {"requestid", "0"}}});
      REQUIRE(b);
      REQUIRE(ws->sendBinary(*b));
    };
    syn(1, "error", true);
    syn(3, "data", false);
    auto get = enc.data({.streamId = 3, .fin = false, .payload = "GET / HTTP/1.0\r\n\r\n"});
    REQUIRE(get);
    REQUIRE(ws->sendBinary(*get));
    std::string body;
    std::vector<spdy::Frame> frames;
    size_t consumed = 0;
    ws->pump(
        [&] {
          for (; consumed < ws->messages.size(); ++consumed) {
            frames.clear();
            if (!dec.feed(ws->messages[consumed].payload, frames)) return true;
            for (auto& f : frames) {
              if (auto* d = std::get_if<spdy::Data>(&f); d && d->streamId == 3) body += d->payload;
            }
          }
          return body.find("hello over websocket") != std::string::npos;
        },
        Clock::now() + std::chrono::seconds(30));
    CHECK(body.find("hello over websocket") != std::string::npos);
  }
  cleanupPod(shim, podId);
}

namespace {

long rssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

TEST_CASE("a client that does not read holds the output back in Docker, not in dockershim",
          "[streaming][exec]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("slowreader");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  constexpr size_t kSize = 150'000'000;
  auto url = mustExecUrl(shim, id, {"head", "-c", std::to_string(kSize), "/dev/zero"}, false, false,
                         true, true);
  const long before = rssKiB(shim.process.pid());
  auto e = spdyExec(url, false, false, true, true);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // reading nothing
  const long stalled = rssKiB(shim.process.pid());
  INFO("dockershim RSS " << before << " KiB before, " << stalled << " KiB while stalled");
  CHECK(stalled - before < 64 * 1024);
  REQUIRE(e.wait(std::chrono::seconds(120)));
  CHECK(e.stdoutText().size() == kSize);
  checkSuccess(e.status());
  cleanupPod(shim, podId);
}

TEST_CASE("attach to a tty container follows the resize stream", "[streaming][attach][tty]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("ttyattach");
  std::string podId = runPod(shim, pod);
  auto config = containerConfig("tty", {"sh", "-c", "read go; stty size; sleep 2"});
  config.set_tty(true);
  config.set_stdin(true);
  std::string id = startContainer(shim, podId, pod, config);
  v1::AttachRequest req;
  req.set_container_id(id);
  req.set_stdin(true);
  req.set_stdout(true);
  req.set_tty(true);
  v1::AttachResponse resp;
  {
    Ctx ctx;
    auto s = shim.runtime->Attach(&ctx, req, &resp);
    INFO(describe(s));
    REQUIRE(s.ok());
  }
  auto e = spdyExec(resp.url(), true, true, true, false);
  REQUIRE(e.resize != 0);
  REQUIRE(e.client->send(e.resize, R"({"Width":77,"Height":33})"
                                   "\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(e.client->send(e.in, "\r"));
  REQUIRE(e.client->pump([&] { return e.stdoutText().find("33 77") != std::string::npos; },
                         Clock::now() + std::chrono::seconds(30)));
  REQUIRE(e.wait());
  checkSuccess(e.status());
  cleanupPod(shim, podId);
}

TEST_CASE("port-forward reaches a server that listens on IPv6 loopback only",
          "[streaming][portforward][ipv6]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("pfv6");
  // Docker turns IPv6 off in a network namespace of its own; a dual-stack pod has it on.
  (*pod.mutable_linux()->mutable_sysctls())["net.ipv6.conf.all.disable_ipv6"] = "0";
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(
      shim, podId, pod,
      containerConfig("web6",
                      {"sh", "-c",
                       "mkdir -p /tmp/www && printf 'hello over ipv6' > "
                       "/tmp/www/index.html && exec httpd -f -p '[::1]:8086' -h /tmp/www"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto v6 = execSync(shim, id, {"cat", "/proc/net/if_inet6"});
  REQUIRE(v6.stdout().find("00000000000000000000000000000001") != std::string::npos);
  REQUIRE(containerStatus(shim, id).state() == v1::CONTAINER_RUNNING);
  auto url = portForwardUrl(shim, podId, {});
  HttpAnswer answer;
  auto c = SpdyClient::connect(url, {"portforward.k8s.io"}, answer);
  REQUIRE(c);
  CHECK(spdyGet(*c, 1, 3, 8086, 0).find("hello over ipv6") != std::string::npos);
  cleanupPod(shim, podId);
}

namespace {

// Runs an interop client (test/interop/*) and parses its one-line JSON report.
json interopClient(const char* binary, const std::vector<std::string>& args) {
  std::string cmd = binary;
  for (const auto& a : args) cmd += " '" + a + "'";
  std::string out;
  int rc = runCommand(cmd, &out);
  INFO(cmd << " -> " << rc << ": " << out);
  REQUIRE(rc == 0);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto report = json::parse(out.substr(out.rfind('\n') + 1), nullptr, false);
  REQUIRE(report.is_object());
  return report;
}

}  // namespace

TEST_CASE("spdystream, the library under kubectl and crictl, drives exec and port-forward",
          "[streaming][interop]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("interop");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  startContainer(shim, podId, pod, webServer("hello spdystream", 8080));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  auto withStdin = interopClient(
      SPDY_INTEROP_CLIENT,
      {"exec",
       mustExecUrl(shim, id, {"sh", "-c", "cat; echo -n err >&2; exit 5"}, false, true, true, true),
       "through spdystream"});
  CHECK(withStdin["protocol"] == "v4.channel.k8s.io");
  CHECK(withStdin["stdout"] == "through spdystream");
  CHECK(withStdin["stderr"] == "err");
  CHECK(exitCodeOf(json::parse(withStdin["error"].get<std::string>(), nullptr, false)) == 5);

  auto plain = interopClient(
      SPDY_INTEROP_CLIENT,
      {"exec", mustExecUrl(shim, id, {"echo", "-n", "hello"}, false, false, true, true), "-"});
  CHECK(plain["stdout"] == "hello");
  checkSuccess(json::parse(plain["error"].get<std::string>(), nullptr, false));

  auto forward = interopClient(SPDY_INTEROP_CLIENT, {"portforward", portForwardUrl(shim, podId, {}),
                                                     "8080", "GET / HTTP/1.0\r\n\r\n"});
  CHECK(forward["protocol"] == "portforward.k8s.io");
  CHECK(forward["data"].get<std::string>().find("hello spdystream") != std::string::npos);
  CHECK(forward["error"] == "");
  cleanupPod(shim, podId);
}

TEST_CASE("gorilla/websocket, as client-go's WebSocket executor, drives exec over v5",
          "[streaming][interop][ws]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("wsinterop");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  auto withStdin = interopClient(
      WS_INTEROP_CLIENT,
      {"exec",
       mustExecUrl(shim, id, {"sh", "-c", "cat; echo -n e >&2; exit 3"}, false, true, true, true),
       "v5.channel.k8s.io", "over gorilla"});
  CHECK(withStdin["protocol"] == "v5.channel.k8s.io");
  CHECK(withStdin["stdout"] == "over gorilla");
  CHECK(withStdin["stderr"] == "e");
  CHECK(withStdin["pongs"] == 1);
  CHECK(exitCodeOf(json::parse(withStdin["error"].get<std::string>(), nullptr, false)) == 3);
  auto v4 =
      interopClient(WS_INTEROP_CLIENT,
                    {"exec", mustExecUrl(shim, id, {"echo", "-n", "v4"}, false, false, true, true),
                     "v4.channel.k8s.io", "-"});
  CHECK(v4["protocol"] == "v4.channel.k8s.io");
  CHECK(v4["stdout"] == "v4");
  checkSuccess(json::parse(v4["error"].get<std::string>(), nullptr, false));
  cleanupPod(shim, podId);
}
