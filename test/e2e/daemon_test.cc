// The dockershim process itself: socket handling, signals, flags, Docker being away.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>

#include "common/scope_guard.h"
#include "e2e/e2e_util.h"
#include "e2e/pod_util.h"
#include "e2e/stream_client.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

// A unix socket file with nobody listening: what a crashed daemon leaves behind.
void makeStaleSocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
}

// A "Docker" that accepts connections and never answers.
struct SilentServer {
  std::string path;
  int fd = -1;
  std::atomic<bool> stop{false};
  std::thread thread;
  std::vector<int> clients;
  explicit SilentServer(std::string p) : path(std::move(p)) {
    fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ::unlink(path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 64) == 0);
    thread = std::thread([this] {
      for (;;) {
        int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        clients.push_back(c);
      }
    });
  }
  ~SilentServer() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
    for (int c : clients) ::close(c);
    ::unlink(path.c_str());
  }
};

int runShimOnce(const std::vector<std::string>& args, std::string* output) {
  // A port of its own for metrics (a later flag wins): the node may run a dockershim on the
  // default 127.0.0.1:10260.
  std::string cmd = std::string(DOCKERSHIM_BINARY) + " --metrics-bind-address=127.0.0.1:0";
  for (const auto& a : args) cmd += " '" + a + "'";
  return runCommand(cmd, output);
}

}  // namespace

TEST_CASE("the CRI socket is created 0660 and removed on SIGTERM and SIGINT", "[daemon]") {
  auto& bed = TestBed::get();
  for (int sig : {SIGTERM, SIGINT}) {
    auto shim = bed.startShim({}, "shim-signal");
    struct stat st {};
    REQUIRE(::stat(shim->socket.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0660);
    v1::VersionResponse v;
    Ctx ctx;
    REQUIRE(shim->runtime->Version(&ctx, v1::VersionRequest(), &v).ok());

    REQUIRE(::kill(shim->process.pid(), sig) == 0);
    int status = 0;
    REQUIRE(shim->process.waitExit(10s, status));
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(::access(shim->socket.c_str(), F_OK) != 0);
  }
}

TEST_CASE("a stale socket file is replaced; a live one is not stolen", "[daemon]") {
  auto& bed = TestBed::get();
  std::string path = bed.dir() + "/shim-stale.sock";
  makeStaleSocket(path);
  auto shim = bed.startShim({}, "shim-stale");
  v1::VersionResponse v;
  Ctx ctx;
  auto s = shim->runtime->Version(&ctx, v1::VersionRequest(), &v);
  INFO(describe(s));
  CHECK(s.ok());

  // A second daemon on the same, live socket must refuse and leave the first one serving.
  std::string output;
  int rc = runShimOnce({"--container-runtime-endpoint=unix://" + path,
                        "--docker-endpoint=unix://" + bed.dockerSocket(),
                        "--root-directory=" + bed.dir() + "/stale2-root"},
                       &output);
  CHECK(rc != 0);
  CHECK(output.find("another server is listening") != std::string::npos);
  Ctx ctx2;
  CHECK(shim->runtime->Version(&ctx2, v1::VersionRequest(), &v).ok());
}

TEST_CASE("--version and bad flags", "[daemon]") {
  std::string out;
  CHECK(runShimOnce({"--version"}, &out) == 0);
  CHECK(out.find("dockershim 0.1.0") != std::string::npos);
  out.clear();
  CHECK(runShimOnce({"--runtime-request-timeout=soon"}, &out) == 2);
  CHECK(out.find("invalid duration") != std::string::npos);
  out.clear();
  CHECK(runShimOnce({"--log-level=loud"}, &out) != 0);
  out.clear();
  CHECK(runShimOnce({"--docker-endpoint=tcp://1.2.3.4:2375"}, &out) == 2);
  CHECK(out.find("not a unix socket") != std::string::npos);
}

TEST_CASE("dockershim(8) documents every flag --help lists, and nothing else", "[daemon]") {
  std::string help, man;
  REQUIRE(runShimOnce({"--help"}, &help) == 0);
  REQUIRE(runShimOnce({"--man-page"}, &man) == 0);
  CHECK(man.rfind(".TH DOCKERSHIM 8 ", 0) == 0);
  // Long flags as --help prints them ("--flag") and as roff writes them ("\-\-flag").
  auto flags = [](const std::string& text, const std::string& dashes) {
    std::set<std::string> out;
    for (std::size_t at = text.find(dashes); at != std::string::npos;
         at = text.find(dashes, at + 1)) {
      std::string name;
      for (std::size_t i = at + dashes.size(); i < text.size(); ++i) {
        if (text.compare(i, 2, "\\-") == 0) {
          name += '-';
          ++i;
        } else if (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '-') {
          name += text[i];
        } else {
          break;
        }
      }
      if (!name.empty() && std::isalpha(static_cast<unsigned char>(name[0]))) out.insert(name);
    }
    return out;
  };
  auto inHelp = flags(help, "--");
  const auto options = man.find(".SH OPTIONS");
  REQUIRE(options != std::string::npos);
  auto inMan = flags(man.substr(options, man.find(".SH", options + 1) - options), "\\-\\-");
  CHECK(inHelp.size() > 25);
  CHECK(inHelp.count("container-runtime-endpoint") == 1);
  CHECK(inHelp.count("man-page") == 0);  // hidden
  CHECK(inMan == inHelp);
  CAPTURE(man);
  // Every value is followed by its description and default.
  CHECK(man.find("(default: unix:///var/run/dockershim.sock)") != std::string::npos);
  CHECK(man.find(".SH FILES") != std::string::npos);
}

TEST_CASE("--streaming-bind-addr picks the address in the URLs; a bad one stops the daemon",
          "[daemon][streaming]") {
  auto& bed = TestBed::get();
  // A free port: bound, read, released.
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(probe);
  auto shim = bed.startShim(
      {"--streaming-bind-addr=127.0.0.1:" + std::to_string(port), "--streaming-idle-timeout=30m"},
      "shim-streaming");
  v1::PortForwardRequest req;
  req.set_pod_sandbox_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  v1::PortForwardResponse resp;
  Ctx ctx;
  CHECK(shim->runtime->PortForward(&ctx, req, &resp).error_code() == grpc::StatusCode::NOT_FOUND);
  // The listener is there, and answers 404 to a token it never gave out.
  HttpAnswer answer;
  CHECK_FALSE(httpUpgrade("http://127.0.0.1:" + std::to_string(port) + "/exec/nope", "GET",
                          {{"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}}, answer));
  CHECK(answer.status == 404);
  std::string out;

  std::string sock = bed.dir() + "/bad-streaming.sock";
  out.clear();
  CHECK(runShimOnce({"--container-runtime-endpoint=unix://" + sock,
                     "--docker-endpoint=unix://" + bed.dockerSocket(),
                     "--root-directory=" + bed.dir() + "/bad-streaming-root",
                     "--streaming-bind-addr=nonsense"},
                    &out) == 1);
  CHECK(out.find("streaming bind address") != std::string::npos);
  out.clear();
  CHECK(runShimOnce({"--streaming-idle-timeout=forever"}, &out) == 2);
}

TEST_CASE("cri-dockerd flag names are accepted", "[daemon]") {
  auto& bed = TestBed::get();
  // --cri-dockerd-root-directory is an alias; a flag of a later feature is reported, not fatal.
  auto shim = bed.startShim(
      {"--cri-dockerd-root-directory=" + bed.dir() + "/alias-root", "--runtime-request-timeout=30s",
       "--image-pull-progress-deadline=1m0s", "--network-plugin=cni"},
      "shim-flags");
  v1::VersionResponse v;
  Ctx ctx;
  CHECK(shim->runtime->Version(&ctx, v1::VersionRequest(), &v).ok());
  struct stat st {};
  CHECK(::stat((bed.dir() + "/alias-root").c_str(), &st) == 0);
}

TEST_CASE("with Docker away the shim serves, reports not ready, and fails calls UNAVAILABLE",
          "[daemon]") {
  auto& bed = TestBed::get();
  auto shim =
      bed.startShim({"--docker-endpoint=unix://" + bed.dir() + "/no-docker.sock"}, "shim-nodocker");
  v1::StatusResponse status;
  Ctx ctx;
  REQUIRE(shim->runtime->Status(&ctx, v1::StatusRequest(), &status).ok());
  REQUIRE(status.status().conditions_size() >= 1);
  CHECK(status.status().conditions(0).type() == "RuntimeReady");
  CHECK_FALSE(status.status().conditions(0).status());
  CHECK(status.status().conditions(0).reason() == "DockerDaemonNotReady");

  v1::VersionResponse v;
  Ctx ctx2;
  CHECK(shim->runtime->Version(&ctx2, v1::VersionRequest(), &v).error_code() ==
        grpc::StatusCode::UNAVAILABLE);
  v1::ImageStatusRequest req;
  req.mutable_image()->set_image("busybox");
  v1::ImageStatusResponse resp;
  Ctx ctx3;
  CHECK(shim->images->ImageStatus(&ctx3, req, &resp).error_code() == grpc::StatusCode::UNAVAILABLE);
}

TEST_CASE("--runtime-request-timeout bounds a call when Docker hangs", "[daemon][deadline]") {
  auto& bed = TestBed::get();
  SilentServer silent(bed.dir() + "/silent.sock");
  auto shim = bed.startShim(
      {"--docker-endpoint=unix://" + silent.path, "--runtime-request-timeout=2s"}, "shim-timeout");
  v1::ImageStatusRequest req;
  req.mutable_image()->set_image("busybox");
  v1::ImageStatusResponse resp;
  grpc::ClientContext ctx;  // no client deadline: the flag must bound it
  ctx.set_deadline(std::chrono::system_clock::now() + 60s);
  auto start = std::chrono::steady_clock::now();
  auto s = shim->images->ImageStatus(&ctx, req, &resp);
  auto took = std::chrono::steady_clock::now() - start;
  INFO(describe(s));
  CHECK(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(took >= 1500ms);
  CHECK(took < 10s);
  // The shim still stops promptly with a Docker call hanging.
  int status = shim->process.stop(15s);
  CHECK(WIFEXITED(status));
}

TEST_CASE("--container-runtime-endpoint fd:// serves every socket systemd passes", "[daemon]") {
  auto& bed = TestBed::get();
  std::string sock = bed.dir() + "/activated.sock";
  std::string legacy = bed.dir() + "/activated-legacy.sock";
  // systemd-socket-activate listens like a .socket unit with two ListenStream= lines (as
  // dockershim.socket: cri-dockerd's path and the legacy one) and starts the daemon on the first
  // connection with the listening sockets as fds 3 and 4 (LISTEN_FDS=2).
  // systemd's notification socket: the daemon says READY=1 once it serves and STOPPING=1 on
  // SIGTERM (dockershim.service is Type=notify).
  std::string notifyPath = bed.dir() + "/activated-notify.sock";
  int notifyFd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(notifyFd >= 0);
  common::ScopeGuard closeNotify([&] { ::close(notifyFd); });
  sockaddr_un notifyAddr{};
  notifyAddr.sun_family = AF_UNIX;
  ::unlink(notifyPath.c_str());
  std::strncpy(notifyAddr.sun_path, notifyPath.c_str(), sizeof(notifyAddr.sun_path) - 1);
  REQUIRE(::bind(notifyFd, reinterpret_cast<sockaddr*>(&notifyAddr), sizeof notifyAddr) == 0);
  timeval notifyWait{30, 0};
  ::setsockopt(notifyFd, SOL_SOCKET, SO_RCVTIMEO, &notifyWait, sizeof notifyWait);
  auto nextNotification = [&] {
    char buf[128];
    ssize_t n = ::recv(notifyFd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("(none in 30 s)");
  };
  auto proc =
      Process::spawn({"systemd-socket-activate", "-E", "NOTIFY_SOCKET=" + notifyPath, "-l", sock,
                      "-l", legacy, DOCKERSHIM_BINARY, "--container-runtime-endpoint=fd://",
                      "--docker-endpoint=unix://" + bed.dockerSocket(),
                      "--root-directory=" + bed.dir() + "/activated-root", "--log-level=debug",
                      "--metrics-bind-address=127.0.0.1:0"},
                     bed.dir() + "/activated.log");
  waitForSocket(sock, proc, 30s);
  for (int i = 0; i < 4; ++i) {  // new connections each time: the accept loop keeps serving
    auto channel =
        grpc::CreateChannel("unix:" + (i % 2 ? legacy : sock), grpc::InsecureChannelCredentials());
    auto rt = v1::RuntimeService::NewStub(channel);
    v1::VersionResponse v;
    Ctx ctx(30s);
    auto s = rt->Version(&ctx, v1::VersionRequest(), &v);
    INFO(describe(s) << "\n" << tailFile(bed.dir() + "/activated.log", 20));
    REQUIRE(s.ok());
    CHECK(v.runtime_name() == "docker");
  }
  CHECK(readFile(bed.dir() + "/activated.log").find("fd 4, unix://" + legacy) != std::string::npos);
  CHECK(nextNotification() == "READY=1");
  REQUIRE(::kill(proc.pid(), SIGTERM) == 0);
  CHECK(nextNotification() == "STOPPING=1");
  int status = 0;
  REQUIRE(proc.waitExit(10s, status));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  // Without a socket from systemd, fd:// is a clear start-up error.
  std::string out;
  CHECK(runShimOnce({"--container-runtime-endpoint=fd://"}, &out) == 2);
  CHECK(out.find("socket activation") != std::string::npos);
}

TEST_CASE("cri-dockerd's unit command line starts dockershim", "[daemon][compat]") {
  auto& bed = TestBed::get();
  // The flags as cri-dockerd's packaging and CI pass them, each in its Go form: an address
  // without a port, an empty plugin, logrus's levels, and flags whose job CNI does here.
  auto shim = bed.startShim(
      {"--network-plugin=", "--log-level", "fatal", "--streaming-bind-addr", "127.0.0.1",
       "--hairpin-mode", "hairpin-veth", "--ipv6-dual-stack", "--network-plugin-mtu=1460",
       "--runtime-request-timeout", "0s", "--image-pull-progress-deadline=1m30s",
       "--cri-dockerd-root-directory=" + bed.dir() + "/compat-root"},
      "shim-compat");
  v1::VersionResponse v;
  Ctx ctx;
  auto s = shim->runtime->Version(&ctx, v1::VersionRequest(), &v);
  INFO(describe(s) << "\n" << tailFile(shim->log, 20));
  REQUIRE(s.ok());
  // Exec streams are served on a free port of the address given.
  auto pod = podConfig("compat");
  std::string podId = runPod(*shim, pod);
  std::string id = startContainer(*shim, podId, pod, containerConfig("c"));
  v1::ExecRequest exec;
  exec.set_container_id(id);
  exec.add_cmd("true");
  exec.set_stdout(true);
  v1::ExecResponse execResp;
  Ctx execCtx;
  REQUIRE(shim->runtime->Exec(&execCtx, exec, &execResp).ok());
  CHECK(execResp.url().rfind("http://127.0.0.1:", 0) == 0);
  CHECK(execResp.url().find("127.0.0.1:0/") == std::string::npos);
  cleanupPod(*shim, podId);
}
