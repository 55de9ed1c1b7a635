#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "docker/docker_client_impl.h"
#include "e2e/process.h"
#include "translate/cri_api.h"

namespace dockershim::e2e {

// A dockershim process under test with CRI clients on its socket.
struct Shim {
  std::string socket;
  std::string log;
  Process process;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime;
  std::unique_ptr<runtime::v1::ImageService::Stub> images;
  std::unique_ptr<runtime::v1alpha2::RuntimeService::Stub> runtimeV1alpha2;
  std::unique_ptr<runtime::v1alpha2::ImageService::Stub> imagesV1alpha2;
};

// Another private dockerd, with flags of its own (a log driver, …) and the busybox image; stopped
// (by PID) when it goes.
struct PrivateDocker {
  std::string socket;
  std::string log;
  Process process;
  std::unique_ptr<docker::DockerClientImpl> client;
  std::string dir;
  std::vector<std::string> argv;  // how it was started
  // SIGTERM, and wait for it to exit (its containers stop unless it runs with live-restore).
  void stop();
  // Started again as before (same data root); returns once it answers.
  void start();
  ~PrivateDocker();
};

// How a dockershim under test is started, beyond its flags.
struct ShimLaunch {
  std::string binary = DOCKERSHIM_BINARY;
  // Put in front of the binary: env, unshare, systemd-socket-activate, …
  std::vector<std::string> prefix;
  // --root-directory=<bed>/<name>-root; false leaves the default (use a private mount namespace).
  bool ownRootDirectory = true;
  // --container-runtime-endpoint=unix://<bed>/<name>.sock; false when the prefix provides the
  // socket (fd://, given in the flags).
  bool ownSocket = true;
};

// The real chain for e2e tests, started once per test binary and torn down (by PID) at the end
// even when tests fail: a private dockerd with its own data-root, exec-root, pidfile and
// socket; a busybox image (tagged docker.io/library/busybox:latest) built from Debian's
// dynamic busybox; a docker-registry with htpasswd auth on 127.0.0.1 holding that image as
// <registry>/test/busybox:1.0; and the dockershim binary on a temporary socket.
class TestBed {
 public:
  static TestBed& get();
  static bool started();
  ~TestBed();

  const std::string& dir() const { return dir_; }
  const std::string& dockerSocket() const { return dockerSocket_; }
  const std::string& dockerLog() const { return dockerLog_; }
  docker::DockerClient& docker() { return *docker_; }
  Shim& shim() { return *shim_; }
  int dockerdPid() const { return dockerd_.pid(); }

  // Registry with basic auth: user/password below.
  const std::string& registry() const { return registry_; }  // "127.0.0.1:port"
  static constexpr const char* kRegistryUser = "dsuser";
  static constexpr const char* kRegistryPassword = "ds-secret-pw";
  // Tags 1.0 and latest of one image; not present locally until a test pulls it.
  std::string registryImage() const { return registry_ + "/test/busybox:1.0"; }
  std::string registryRepo() const { return registry_ + "/test/busybox"; }

  // Another dockershim with extra flags, on its own socket (caller owns it).
  std::unique_ptr<Shim> startShim(const std::vector<std::string>& extraArgs,
                                  const std::string& name, bool waitReady = true,
                                  const ShimLaunch& launch = {});

  // A second dockerd under <dir>/<name>/ (name short: socket paths stay under 108 bytes) with
  // `extraArgs`, the test bed's runtimes and the busybox image.
  std::unique_ptr<PrivateDocker> startPrivateDocker(const std::string& name,
                                                    const std::vector<std::string>& extraArgs);

  // Failure report: the tails of the shim's and dockerd's logs.
  std::string logTails() const;

 private:
  TestBed();
  static std::string runcWrapper();
  void startDocker();
  std::vector<std::string> dockerdArgs(const std::string& dir) const;
  void buildBusybox();
  void startRegistry();

  std::string dir_;
  std::string dockerSocket_;
  std::string dockerLog_;
  Process dockerd_;
  Process registryProcess_;
  std::string registry_;
  std::string busyboxTar_;  // kept for private dockerds
  std::unique_ptr<docker::DockerClientImpl> docker_;
  std::unique_ptr<Shim> shim_;
};

// Waits until `socket` accepts connections or the process dies; throws on timeout.
void waitForSocket(const std::string& socket, Process& process, std::chrono::seconds timeout);

grpc::ClientContext* withDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds d);

}  // namespace dockershim::e2e
