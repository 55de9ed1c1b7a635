
#include "e2e/testbed.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "common/base64.h"
#include "common/capabilities.h"

namespace dockershim::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

TestBed* instance = nullptr;
constexpr const char* kRegistrySource = "dockershim-e2e/registry-source";

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
}

bool socketAccepts(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string registryAuth() {
  nlohmann::json j = {{"username", TestBed::kRegistryUser},
                      {"password", TestBed::kRegistryPassword}};
  return common::base64UrlEncode(j.dump());
}

// Leftovers of a test binary that was killed: its daemons still run, their PIDs in files.
void reapStaleTestBeds() {
  for (const auto& entry : fs::directory_iterator("/tmp")) {
    std::string name = entry.path().filename();
    if (name.rfind("dse2e-", 0) != 0) continue;
    std::ifstream owner(entry.path() / "owner.pid");
    pid_t pid = 0;
    if (owner >> pid && pid > 0 && ::kill(pid, 0) == 0) continue;  // still in use
    // Every daemon's pid file: docker.pid, registry.pid, shim.pid and <name>/docker.pid of
    // private dockerds.
    std::vector<fs::path> pidFiles;
    for (const auto& f : fs::recursive_directory_iterator(
             entry.path(), fs::directory_options::skip_permission_denied)) {
      if (f.path().extension() == ".pid" && f.path().filename() != "owner.pid" &&
          f.path().string().find("/exec/") == std::string::npos &&
          f.path().string().find("/data/") == std::string::npos) {
        pidFiles.push_back(f.path());
      }
    }
    for (const auto& f : pidFiles) {
      std::ifstream in(f);
      pid_t p = 0;
      if (in >> p && p > 0) ::kill(p, SIGKILL);
    }
    std::this_thread::sleep_for(500ms);
    runCommand("grep -o ' " + entry.path().string() +
               "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l");
    std::error_code ec;
    fs::remove_all(entry.path(), ec);
  }
}

}  // namespace

void waitForSocket(const std::string& socket, Process& process, std::chrono::seconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (socketAccepts(socket)) return;
    if (!process.running()) throw std::runtime_error("process exited before serving " + socket);
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error("timed out waiting for " + socket);
}

grpc::ClientContext* withDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds d) {
  ctx.set_deadline(std::chrono::system_clock::now() + d);
  return &ctx;
}

bool TestBed::started() { return instance != nullptr; }

TestBed& TestBed::get() {
  if (!instance) {
    instance = new TestBed();
    // Torn down when the test binary ends, whatever the tests did.
    std::atexit([] {
      delete instance;
      instance = nullptr;
    });
  }
  return *instance;
}

TestBed::TestBed() {
  if (::geteuid() != 0) throw std::runtime_error("e2e tests need root (they start dockerd)");
  reapStaleTestBeds();
  char tmpl[] = "/tmp/dse2e-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  writeFile(dir_ + "/owner.pid", std::to_string(::getpid()));
  try {
    startDocker();
    buildBusybox();
    startRegistry();
    shim_ = startShim({}, "shim");
  } catch (...) {
    std::cerr << logTails();
    throw;
  }
}

TestBed::~TestBed() {
  shim_.reset();
  registryProcess_.stop(5s);
  dockerd_.stop(30s);
  // dockerd stops its containerd; anything still mounted under our dir goes with it.
  runCommand("grep -o ' " + dir_ + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l");
  std::error_code ec;
  if (!std::getenv("DOCKERSHIM_E2E_KEEP")) fs::remove_all(dir_, ec);
}

// The runtime the private dockerd runs containers with: DOCKERSHIM_E2E_RUNC_WRAPPER if set
// ("" or "none" for plain runc), else the project's wrapper when this host's root cannot grant
// every capability the kernel knows (runc would refuse privileged containers), else plain runc.
std::string TestBed::runcWrapper() {
  if (const char* env = std::getenv("DOCKERSHIM_E2E_RUNC_WRAPPER")) {
    std::string w = env;
    return w == "none" ? "" : w;
  }
  std::ifstream lastCap("/proc/sys/kernel/cap_last_cap");
  int last = 40;
  lastCap >> last;
  uint64_t all = last >= 63 ? ~0ull : (1ull << (last + 1)) - 1;
  uint64_t bounding = common::boundingCapabilities();
  if ((bounding & all) == all) return "";
  std::cerr << "test bed: this host's root lacks capabilities (CapBnd " << std::hex << bounding
            << std::dec << "); the private dockerd runs containers through " << RUNC_WRAPPER
            << ", which drops only those from privileged containers\n";
  return RUNC_WRAPPER;
}

std::vector<std::string> TestBed::dockerdArgs(const std::string& dir) const {
  std::vector<std::string> argv = {"dockerd",
                                   "--config-file=" + dir + "/daemon.json",
                                   "--data-root=" + dir + "/data",
                                   "--exec-root=" + dir + "/exec",
                                   "--pidfile=" + dir + "/docker.pid",
                                   "--host=unix://" + dir + "/docker.sock",
                                   "--bridge=none",
                                   "--iptables=false",
                                   "--ip-masq=false",
                                   "--userland-proxy=false",
                                   "--log-level=info"};
  // Plain runc under another name, for tests that must see what this host does without help.
  argv.push_back("--add-runtime=plain-runc=runc");
  std::string wrapper = runcWrapper();
  if (!wrapper.empty()) {
    argv.push_back("--add-runtime=testbed=" + wrapper);
    argv.push_back("--default-runtime=testbed");
  }
  writeFile(dir + "/daemon.json", "{}\n");
  return argv;
}

namespace {

std::unique_ptr<docker::DockerClientImpl> waitForDocker(const std::string& socket,
                                                        Process& process) {
  waitForSocket(socket, process, 60s);
  auto client = std::make_unique<docker::DockerClientImpl>(socket);
  auto end = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    auto v = client->negotiate(docker::deadlineIn(5s));
    if (v) return client;
    if (std::chrono::steady_clock::now() > end) {
      throw std::runtime_error("private dockerd never answered: " + v.status().message());
    }
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace

void TestBed::startDocker() {
  dockerSocket_ = dir_ + "/docker.sock";
  dockerLog_ = dir_ + "/dockerd.log";
  dockerd_ = Process::spawn(dockerdArgs(dir_), dockerLog_);
  docker_ = waitForDocker(dockerSocket_, dockerd_);
}

std::unique_ptr<PrivateDocker> TestBed::startPrivateDocker(
    const std::string& name, const std::vector<std::string>& extraArgs) {
  auto d = std::make_unique<PrivateDocker>();
  d->dir = dir_ + "/" + name;
  fs::create_directories(d->dir);
  d->socket = d->dir + "/docker.sock";
  d->log = d->dir + "/dockerd.log";
  d->argv = dockerdArgs(d->dir);
  d->argv.insert(d->argv.end(), extraArgs.begin(), extraArgs.end());
  d->start();
  std::ifstream in(busyboxTar_, std::ios::binary);
  std::string tar((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Status st =
      d->client->importImage(tar, "busybox", "latest", {R"(CMD ["sh"])"}, docker::deadlineIn(120s));
  if (!st) throw std::runtime_error("import busybox into " + name + ": " + st.message());
  return d;
}

void PrivateDocker::stop() { process.stop(30s); }

void PrivateDocker::start() {
  process = Process::spawn(argv, log);
  client = waitForDocker(socket, process);
}

PrivateDocker::~PrivateDocker() {
  process.stop(30s);
  runCommand("grep -o ' " + dir + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l");
}

void TestBed::buildBusybox() {
  std::string root = dir_ + "/busybox-root";
  std::string out;
  if (runCommand(std::string(E2E_SOURCE_DIR) + "/../../packaging/make-busybox-rootfs.sh " + root,
                 &out) != 0) {
    throw std::runtime_error("busybox rootfs: " + out);
  }
  std::string tarPath = dir_ + "/busybox.tar";
  if (runCommand("tar --numeric-owner -C " + root + " -cf " + tarPath + " .", &out) != 0) {
    throw std::runtime_error("busybox tar: " + out);
  }
  std::ifstream in(tarPath, std::ios::binary);
  std::string tar((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Status st =
      docker_->importImage(tar, "busybox", "latest", {R"(CMD ["sh"])"}, docker::deadlineIn(120s));
  if (!st) throw std::runtime_error("import busybox: " + st.message());
  // The registry's copy is a distinct image (its own ID): tests that remove it by ID must not
  // take docker.io/library/busybox:latest with it.
  st = docker_->importImage(std::move(tar), kRegistrySource, "1.0",
                            {R"(CMD ["sh"])", "LABEL io.dockershim.e2e=registry"},
                            docker::deadlineIn(120s));
  if (!st) throw std::runtime_error("import registry busybox: " + st.message());
  fs::remove_all(root);
  busyboxTar_ = tarPath;  // kept: private dockerds import it too
}

void TestBed::startRegistry() {
  int port = freeTcpPort();
  registry_ = "127.0.0.1:" + std::to_string(port);
  std::string out;
  if (runCommand(std::string("htpasswd -Bbn ") + kRegistryUser + " " + kRegistryPassword + " > " +
                     dir_ + "/htpasswd",
                 &out) != 0) {
    throw std::runtime_error("htpasswd: " + out);
  }
  writeFile(dir_ + "/registry.yml",
            "version: 0.1\n"
            "log:\n  level: info\n"
            "storage:\n  filesystem:\n    rootdirectory: " +
                dir_ +
                "/registry\n  delete:\n    enabled: true\n"
                "http:\n  addr: " +
                registry_ +
                "\n"
                "auth:\n  htpasswd:\n    realm: dockershim-e2e\n"
                "    path: " +
                dir_ + "/htpasswd\n");
  registryProcess_ =
      Process::spawn({"docker-registry", "serve", dir_ + "/registry.yml"}, dir_ + "/registry.log");
  writeFile(dir_ + "/registry.pid", std::to_string(registryProcess_.pid()));
  // Wait for the HTTP port.
  auto end = std::chrono::steady_clock::now() + 30s;
  while (runCommand("curl -s -o /dev/null http://" + registry_ + "/v2/") != 0) {
    if (std::chrono::steady_clock::now() > end || !registryProcess_.running()) {
      throw std::runtime_error("docker-registry did not start:\n" +
                               tailFile(dir_ + "/registry.log", 20));
    }
    std::this_thread::sleep_for(100ms);
  }
  // Publish busybox as <registry>/test/busybox:1.0, then drop the local tag so pulls are real.
  std::string repo = registry_ + "/test/busybox";
  auto deadline = docker::deadlineIn(120s);
  auto tag = docker_->call(
      {.method = "POST",
       .path = std::string("/images/") + kRegistrySource + ":1.0/tag?repo=" + repo + "&tag=1.0",
       .operation = "tag_image"},
      deadline);
  if (!tag || tag->status != 201) throw std::runtime_error("tag for registry failed");
  docker::Request push{
      .method = "POST", .path = "/images/" + repo + "/push?tag=1.0", .operation = "push_image"};
  push.headers.emplace_back("X-Registry-Auth", registryAuth());
  auto pushTag = [&](const std::string& tagName) {
    docker::Request req = push;
    req.path = "/images/" + repo + "/push?tag=" + tagName;
    Status st = docker_->stream(req, deadline, 60s, [](const nlohmann::json& m) -> Status {
      if (m.contains("error")) return {Code::kUnknown, m["error"].dump()};
      return Status::ok();
    });
    if (!st) throw std::runtime_error("push to test registry: " + st.message());
  };
  pushTag("1.0");
  auto latest = docker_->call({.method = "POST",
                               .path = "/images/" + repo + ":1.0/tag?repo=" + repo + "&tag=latest",
                               .operation = "tag_image"},
                              deadline);
  if (!latest || latest->status != 201) throw std::runtime_error("tag latest for registry failed");
  pushTag("latest");
  for (const std::string& name :
       {repo + ":1.0", repo + ":latest", std::string(kRegistrySource) + ":1.0"}) {
    auto removed = docker_->removeImage(name, false, deadline);
    if (!removed) throw std::runtime_error("untag registry image: " + removed.status().message());
  }
}

std::unique_ptr<Shim> TestBed::startShim(const std::vector<std::string>& extraArgs,
                                         const std::string& name, bool waitReady,
                                         const ShimLaunch& launch) {
  auto shim = std::make_unique<Shim>();
  shim->socket = dir_ + "/" + name + ".sock";
  shim->log = dir_ + "/" + name + ".log";
  std::vector<std::string> argv = launch.prefix;
  argv.push_back(launch.binary);
  if (launch.ownSocket) argv.push_back("--container-runtime-endpoint=unix://" + shim->socket);
  if (launch.ownRootDirectory) argv.push_back("--root-directory=" + dir_ + "/" + name + "-root");
  argv.insert(argv.end(), {"--docker-endpoint=unix://" + dockerSocket_, "--log-level=debug",
                           // Pods of the shared test bed have loopback only (its dockerd has no
                           // bridge); the CNI tests run shims of their own with
                           // --network-plugin=cni.
                           "--network-plugin=none",
                           // Every shim serves metrics, each on a port of its own (its log names
                           // the URL).
                           "--metrics-bind-address=127.0.0.1:0"});
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  shim->process = Process::spawn(argv, shim->log);
  if (name == "shim") writeFile(dir_ + "/shim.pid", std::to_string(shim->process.pid()));
  if (waitReady) waitForSocket(shim->socket, shim->process, 30s);
  // As the kubelet dials: 16 MiB messages both ways.
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  shim->channel =
      grpc::CreateCustomChannel("unix:" + shim->socket, grpc::InsecureChannelCredentials(), args);
  shim->runtime = runtime::v1::RuntimeService::NewStub(shim->channel);
  shim->images = runtime::v1::ImageService::NewStub(shim->channel);
  shim->runtimeV1alpha2 = runtime::v1alpha2::RuntimeService::NewStub(shim->channel);
  shim->imagesV1alpha2 = runtime::v1alpha2::ImageService::NewStub(shim->channel);
  return shim;
}

std::string TestBed::logTails() const {
  std::string out = "---- dockershim log (tail) ----\n" + tailFile(dir_ + "/shim.log", 40);
  out += "---- dockerd log (tail) ----\n" + tailFile(dockerLog_, 30);
  return out;
}

}  // namespace dockershim::e2e
