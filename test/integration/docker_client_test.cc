// The Docker client and the CRI core against a fake Docker: hangs, framing and errors that a
// real daemon does not produce on demand.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "cri/cri_service.h"
#include "docker/docker_client_impl.h"
#include "docker/stream_demux.h"
#include "integration/fake_docker.h"

using namespace dockershim;
using namespace dockershim::testing;
using namespace std::chrono_literals;

namespace {

FakeReply versionReply(const std::string& api = "1.41") {
  return jsonReply(
      200, R"({"Version":"20.10.99","ApiVersion":")" + api + R"(","MinAPIVersion":"1.12"})");
}

}  // namespace

TEST_CASE("a Docker that never answers cannot outlast the call's deadline", "[integration]") {
  FakeDocker fake([](const FakeRequest&) {
    FakeReply r;
    r.hang = true;
    return r;
  });
  docker::DockerClientImpl client(fake.socketPath());
  auto start = std::chrono::steady_clock::now();
  auto v = client.negotiate(docker::deadlineIn(1s));
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(v);
  CHECK(v.status().code() == Code::kDeadlineExceeded);
  CHECK(took >= 900ms);
  CHECK(took < 3s);

  // Through the CRI core as well: ImageStatus answers DEADLINE_EXCEEDED on time.
  auto shared = std::make_shared<docker::DockerClientImpl>(fake.socketPath());
  cri::CriService core(shared, cri::Options{});
  cri::v1::ImageStatusRequest req;
  req.mutable_image()->set_image("busybox");
  cri::v1::ImageStatusResponse resp;
  start = std::chrono::steady_clock::now();
  Status st = core.imageStatus(req, &resp, {docker::deadlineIn(1s)});
  took = std::chrono::steady_clock::now() - start;
  CHECK(st.code() == Code::kDeadlineExceeded);
  CHECK(took < 3s);
}

TEST_CASE("version negotiation picks the lower version and refuses old daemons", "[integration]") {
  std::string api = "1.60";
  std::vector<std::string> targets;
  std::mutex mu;
  FakeDocker fake([&](const FakeRequest& r) {
    {
      std::lock_guard<std::mutex> lock(mu);
      targets.push_back(r.target);
    }
    if (r.target == "/version") return versionReply(api);
    return jsonReply(200, "{}");
  });
  docker::DockerClientImpl client(fake.socketPath());
  auto v = client.negotiate(docker::deadlineIn(5s));
  REQUIRE(v);
  CHECK(v->negotiated == "1.55");
  CHECK(v->version == "20.10.99");
  REQUIRE(client.info(docker::deadlineIn(5s)));
  CHECK(targets.back() == "/v1.55/info");

  api = "1.39";  // Docker 18.09
  v = client.negotiate(docker::deadlineIn(5s));
  REQUIRE(v);
  CHECK(v->negotiated == "1.39");
  REQUIRE(client.info(docker::deadlineIn(5s)));
  CHECK(targets.back() == "/v1.39/info");

  api = "1.23";
  v = client.negotiate(docker::deadlineIn(5s));
  REQUIRE_FALSE(v);
  CHECK(v.status().code() == Code::kFailedPrecondition);
  CHECK(v.status().message().find("1.23") != std::string::npos);
  CHECK(v.status().message().find("1.24") != std::string::npos);
}

TEST_CASE("chunked bodies in tiny pieces are reassembled", "[integration]") {
  std::string big(100000, 'x');
  FakeDocker fake([&](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    std::vector<std::string> chunks = {"[{\"Id\":\"sha256:a\",", "\"Size\":", "12}",
                                       ",{\"Id\":\"" + big + "\"}", "]"};
    return chunkedReply(200, chunks);
  });
  docker::DockerClientImpl client(fake.socketPath());
  auto images = client.listImages("", docker::deadlineIn(5s));
  REQUIRE(images);
  REQUIRE(images->size() == 2);
  CHECK((*images)[0]["Size"] == 12);
  CHECK((*images)[1]["Id"].get<std::string>().size() == big.size());
}

TEST_CASE("Docker's errors keep their message and map to codes in one place", "[integration]") {
  FakeDocker fake([](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    if (r.method == "GET") return jsonReply(404, R"({"message":"No such image: nope:latest"})");
    if (r.method == "DELETE") {
      return jsonReply(409, R"({"message":"conflict: unable to remove repository reference"})");
    }
    return jsonReply(500, "plain text failure\n");
  });
  docker::DockerClientImpl client(fake.socketPath());
  auto missing = client.inspectImage("nope", docker::deadlineIn(5s));
  REQUIRE_FALSE(missing);
  CHECK(missing.status().code() == Code::kNotFound);
  CHECK(missing.status().message() == "No such image: nope:latest");
  auto conflict = client.removeImage("x", false, docker::deadlineIn(5s));
  REQUIRE_FALSE(conflict);
  CHECK(conflict.status().code() == Code::kFailedPrecondition);
  Status st = client.importImage("tar", "r", "t", {}, docker::deadlineIn(5s));
  CHECK(st.code() == Code::kUnknown);
  CHECK(st.message().find("plain text failure") != std::string::npos);

  // The daemon never crashes on a body that is not JSON where JSON is due.
  FakeDocker garbage([](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    return jsonReply(200, "{not json");
  });
  docker::DockerClientImpl client2(garbage.socketPath());
  auto info = client2.info(docker::deadlineIn(5s));
  REQUIRE_FALSE(info);
  CHECK(info.status().code() == Code::kInternal);
}

TEST_CASE("pull progress streams: errors inside a 200 and malformed messages", "[integration]") {
  std::string mode;
  FakeDocker fake([&](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    if (mode == "auth") {
      return chunkedReply(200,
                          {R"({"status":"Pulling from x"})"
                           "\r\n",
                           R"({"errorDetail":{"message":"unauthorized: authentication required"},)",
                           R"("error":"unauthorized: authentication required"})"
                           "\r\n"});
    }
    if (mode == "garbage") return chunkedReply(200, {R"({"status":"ok"})", "}}}{{{"});
    if (mode == "stall") {
      FakeReply reply = chunkedReply(200, {R"({"status":"Pulling"})"});
      reply.pieces.pop_back();  // no terminating chunk: the stream stays open, silent
      return reply;
    }
    return chunkedReply(200, {R"({"status":"Pulling"})", R"({"status":"Downloaded newer image"})"});
  });
  docker::DockerClientImpl client(fake.socketPath());
  bool cancel = false;
  auto pull = [&] {
    return client.pullImage("docker.io/library/x", "1", "", 1s, docker::deadlineIn(10s),
                            [&] { return cancel; });
  };
  mode = "ok";
  CHECK(pull().isOk());
  mode = "auth";
  Status st = pull();
  CHECK(st.code() == Code::kUnauthenticated);
  mode = "garbage";
  CHECK(pull().code() == Code::kDataLoss);
  mode = "stall";
  auto start = std::chrono::steady_clock::now();
  st = pull();
  CHECK(st.code() == Code::kDeadlineExceeded);
  CHECK(st.message().find("no progress") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  // An empty tag would make Docker pull every tag: refused before any request.
  CHECK(client.pullImage("docker.io/library/x", "", "", 1s, docker::deadlineIn(1s), {}).code() ==
        Code::kInvalidArgument);
  // A client that went away cancels the pull at the next progress message.
  mode = "ok";
  cancel = true;
  CHECK(pull().code() == Code::kCancelled);
}

TEST_CASE("the pool keeps connections alive and survives Docker closing idle ones",
          "[integration]") {
  FakeDocker fake([](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    return jsonReply(200, R"({"ok":true})");
  });
  docker::DockerClientImpl client(fake.socketPath());
  for (int i = 0; i < 20; ++i) REQUIRE(client.info(docker::deadlineIn(5s)));
  CHECK(fake.connectionsAccepted() == 1);

  fake.dropConnections();
  std::this_thread::sleep_for(50ms);
  auto again = client.info(docker::deadlineIn(5s));
  INFO(again.status().toString());
  CHECK(again);
  CHECK(fake.connectionsAccepted() == 2);

  // Many threads at once: every call succeeds; connections stay bounded by concurrency.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (!client.info(docker::deadlineIn(10s))) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(fake.connectionsAccepted() <= 2 + 16);
  uint64_t infoCount = 0;
  for (const auto& s : client.operationStats()) {
    if (s.operation == "info") infoCount = s.count;
  }
  CHECK(infoCount == 20 + 1 + 16 * 25);
}

TEST_CASE("after a Docker restart no idle connection is used: a POST goes out on a new one",
          "[integration]") {
  std::atomic<int> creates{0};
  FakeDocker fake([&](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    if (r.method == "POST") {
      ++creates;
      return jsonReply(201, R"({"Id":"abc","Warnings":[]})");
    }
    // Slow enough that concurrent callers each hold a connection.
    std::this_thread::sleep_for(20ms);
    return jsonReply(200, R"({"ok":true})");
  });
  docker::DockerClientImpl client(fake.socketPath());
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] { (void)client.info(docker::deadlineIn(5s)); });
  }
  for (auto& t : threads) t.join();
  int before = fake.connectionsAccepted();
  REQUIRE(before >= 3);

  // dockerd went away and came back: every idle connection is closed on its side.
  fake.dropConnections();
  std::this_thread::sleep_for(50ms);
  auto id = client.createContainer("c", nlohmann::json::object(), "1.41", docker::deadlineIn(5s));
  INFO(id.status().toString());
  REQUIRE(id);
  CHECK(*id == "abc");
  CHECK(creates == 1);
  for (int i = 0; i < 5; ++i) CHECK(client.info(docker::deadlineIn(5s)));
  CHECK(fake.connectionsAccepted() == before + 1);
}

TEST_CASE("an upgraded connection carries Docker's multiplexed stream both ways", "[integration]") {
  FakeDocker fake([](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    FakeReply reply;
    if (r.headers.count("upgrade") == 0) return jsonReply(400, R"({"message":"no upgrade"})");
    // The header and the first frame arrive in one write: the client must keep those bytes.
    reply.pieces = {
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
        "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n" +
            docker::encodeFrame(docker::StreamType::kStdout, "hello "),
        docker::encodeFrame(docker::StreamType::kStderr, "oops") +
            docker::encodeFrame(docker::StreamType::kStdout, "world")};
    reply.close = true;
    return reply;
  });
  docker::DockerClientImpl client(fake.socketPath());
  REQUIRE(client.negotiate(docker::deadlineIn(5s)));
  auto stream = client.upgrade(
      {.method = "POST", .path = "/exec/x/start", .body = "{}", .operation = "start_exec"},
      docker::deadlineIn(5s));
  REQUIRE(stream);
  docker::StreamDemuxer demux;
  std::string out, err;
  char buf[7];  // small reads: frames cross read boundaries
  for (;;) {
    auto n = (*stream)->read(buf, sizeof buf, docker::deadlineIn(5s));
    REQUIRE(n);
    if (*n == 0) break;
    std::vector<docker::Frame> frames;
    REQUIRE(demux.feed(std::string_view(buf, *n), frames).isOk());
    for (auto& f : frames) (f.stream == docker::StreamType::kStdout ? out : err) += f.data;
  }
  CHECK(out == "hello world");
  CHECK(err == "oops");

  FakeDocker refusing([](const FakeRequest& r) {
    if (r.target == "/version") return versionReply();
    return jsonReply(404, R"({"message":"No such exec instance: x"})");
  });
  docker::DockerClientImpl client2(refusing.socketPath());
  REQUIRE(client2.negotiate(docker::deadlineIn(5s)));
  auto refused =
      client2.upgrade({.method = "POST", .path = "/exec/x/start", .operation = "start_exec"},
                      docker::deadlineIn(5s));
  REQUIRE_FALSE(refused);
  CHECK(refused.status().code() == Code::kNotFound);
}

TEST_CASE("IDs and names that could rewrite the request never reach Docker", "[integration]") {
  std::atomic<int> requests{0};
  FakeDocker fake([&](const FakeRequest& r) {
    if (r.target != "/version") requests++;
    if (r.target == "/version") return versionReply();
    return jsonReply(200, "{}");
  });
  docker::DockerClientImpl client(fake.socketPath());
  REQUIRE(client.negotiate(docker::deadlineIn(5s)));
  for (std::string bad :
       {"abc/kill?signal=KILL&x=", "abc\r\nHost: x", "../../info", "", ".hidden", "a b", "-rf"}) {
    INFO(bad);
    CHECK(client.inspectContainer(bad, docker::deadlineIn(5s)).status().code() ==
          Code::kInvalidArgument);
    CHECK(client.stopContainer(bad, 1, docker::deadlineIn(5s)).code() == Code::kInvalidArgument);
    CHECK(client.inspectExec(bad, docker::deadlineIn(5s)).status().code() ==
          Code::kInvalidArgument);
  }
  CHECK(client.inspectImage("busybox?x=1", docker::deadlineIn(5s)).status().code() ==
        Code::kInvalidArgument);
  CHECK(requests == 0);
  // Real IDs and references pass.
  CHECK(client.inspectContainer("0123456789abcdef", docker::deadlineIn(5s)));
  CHECK(client.inspectImage("127.0.0.1:5000/a/b:1.0@sha256:abc", docker::deadlineIn(5s)));
  CHECK(requests == 2);
}
