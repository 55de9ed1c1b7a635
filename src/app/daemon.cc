#include "app/daemon.h"

#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "app/pause_image.h"
#include "app/state_directory.h"
#include "common/call_cost.h"
#include "common/duration.h"
#include "common/systemd_protocol.h"
#include "cri/cri_service.h"
#include "cri/docker_streaming.h"
#include "docker/docker_client_impl.h"
#include "metrics/http_server.h"
#include "metrics/metrics.h"
#include "migrate/findings.h"
#include "network/pod_network.h"
#include "server/cri_server.h"
#include "streaming/server.h"

namespace dockershim::app {
namespace {

// How long in-flight calls get to finish at shutdown before gRPC cancels them.
constexpr auto kShutdownGrace = std::chrono::seconds(5);
// How often the main thread hands freed heap pages back to the kernel. A trim of a few MiB of
// arenas takes well under a millisecond; every 5 s keeps the kubelet's stats bursts (a list of
// every pod's stats every 10 s) from holding about 1 MiB between trims at 105 pods.
constexpr auto kTrimInterval = std::chrono::seconds(5);
// malloc arenas: glibc makes up to 8 per core, one per thread that contends; each keeps what
// its thread freed. Two are enough for a daemon whose calls take under a millisecond of CPU.
constexpr int kMallocArenas = 2;

// Docker may come up after us (or restart): negotiation and the pause image are retried in
// the background until both succeed, while the CRI socket already answers (Status reports
// RuntimeReady=false meanwhile).
class DockerWarmup {
 public:
  DockerWarmup(docker::DockerClient& docker, std::string pauseImage, cri::CriService& core)
      : docker_(docker),
        pauseImage_(std::move(pauseImage)),
        core_(core),
        thread_([this] { run(); }) {}
  ~DockerWarmup() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::string warned;
    for (;;) {
      Status st = attempt();
      if (st) return;
      // Once per reason: a Docker that is down, or that speaks no API version in common, says
      // so once, not every 2 s.
      std::string why = st.code() == Code::kUnavailable ? "unavailable" : st.message();
      if (why != warned) {
        spdlog::warn("docker not ready (retrying every 2s): {}", st.message());
        warned = why;
      }
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; })) return;
    }
  }
  // Short deadlines: shutdown joins this thread, so an attempt must not outlive the grace.
  Status attempt() {
    auto v = docker_.negotiate(docker::deadlineIn(std::chrono::seconds(3)));
    if (!v) return v.status();
    spdlog::info("docker {} (API {}), using API {}", v->version, v->apiVersion, v->negotiated);
    if (pauseImage_ == kDefaultPauseImage) {
      auto deadline = docker::deadlineIn(std::chrono::seconds(5));
      if (Status st = ensurePauseImage(docker_, pauseImage_, deadline); !st) return st;
    }
    // Logs written while dockershim was not running are copied now.
    if (Status st = core_.resumeLogs(docker::deadlineIn(std::chrono::seconds(5))); !st) return st;
    // Best effort, once: what it cannot release now is retried at the next start.
    if (Status st = core_.reconcileNetworks(docker::deadlineIn(std::chrono::seconds(10))); !st) {
      spdlog::warn("reconcile pod networks: {}", st.message());
    }
    core_.startStateCache();
    spdlog::info("startup work done (sandbox image, logs resumed, pod networks reconciled)");
    return Status::ok();
  }

  docker::DockerClient& docker_;
  std::string pauseImage_;
  cri::CriService& core_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int runDaemon(const DaemonOptions& given, const char* version) {
  DaemonOptions options = given;
  // Signals are taken synchronously by this thread; every thread created after this inherits
  // the mask, so none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  ::mallopt(M_ARENA_MAX, kMallocArenas);

  spdlog::info("dockershim {} starting", version);
  for (const auto& flag : options.ignoredFlags) {
    spdlog::warn("flag {} is not supported by this version and is ignored", flag);
  }
  for (const auto& why : options.notActedOn) spdlog::info("flag {}", why);

  auto dockerSocket = docker::unixSocketPath(options.dockerEndpoint);
  if (!dockerSocket) {
    spdlog::error("--docker-endpoint: {}", dockerSocket.status().message());
    return 2;
  }
  constexpr std::string_view kUnix = "unix://";
  // compat: cri-dockerd's systemd unit runs it with `--container-runtime-endpoint fd://` and a
  // socket unit; the listening socket then comes from systemd.
  const bool activated = options.criEndpoint == "fd://";
  std::string criSocket = options.criEndpoint;
  if (criSocket.rfind(kUnix, 0) == 0) criSocket.erase(0, kUnix.size());
  if (!activated && (criSocket.empty() || criSocket.front() != '/')) {
    spdlog::error("--container-runtime-endpoint must be unix:///path or fd://, got \"{}\"",
                  options.criEndpoint);
    return 2;
  }
  // Every socket the unit listens on is served: packaging/systemd/dockershim.socket has both
  // cri-dockerd's path and the legacy dockershim one.
  std::vector<int> activatedFds;
  if (activated) {
    int n = common::listenFds(true);
    if (n < 1) {
      spdlog::error(
          "--container-runtime-endpoint fd:// needs a socket from systemd (socket "
          "activation), but none was passed");
      return 2;
    }
    for (int i = 0; i < n; ++i) activatedFds.push_back(common::kListenFdsStart + i);
  }

  // compat: cri-dockerd's unit passes no root folder, so on a node that swapped its binary the
  // pods' checkpoints are in cri-dockerd's; they stay there, where cri-dockerd finds them again.
  if (!options.rootDirectoryGiven) {
    StateDirectory state =
        chooseStateDirectory(options.rootDirectory, options.criDockerdRootDirectory);
    if (state.tookOver) {
      spdlog::info(
          "state: \"{}\" holds no sandbox checkpoint and cri-dockerd's \"{}\" holds {}; "
          "dockershim keeps its state there (--root-directory chooses another folder)",
          options.rootDirectory, state.root, state.checkpoints);
    }
    options.rootDirectory = state.root;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.rootDirectory, ec);
  if (ec) {
    spdlog::error("create root directory \"{}\": {}", options.rootDirectory, ec.message());
    return 1;
  }
  if (!activated) {
    std::filesystem::create_directories(std::filesystem::path(criSocket).parent_path(), ec);
  }

  // Before the Docker client: its observer points here, and threads that hold the client are
  // all joined before this goes.
  metrics::Metrics metrics(version);
  auto docker = std::make_shared<docker::DockerClientImpl>(*dockerSocket);
  docker->setObserver(
      [&metrics](const std::string& operation, const Status& status, double seconds) {
        metrics.observeDocker(operation, status, seconds);
        if (auto* cost = common::currentCallCost()) cost->dockerSeconds += seconds;
      });
  cri::Options criOptions{
      .podInfraImage = options.podInfraImage,
      .pullProgressDeadline = options.imagePullProgressDeadline,
      .dockerEndpoint = options.dockerEndpoint,
      .rootDirectory = options.rootDirectory,
      .version = version,
  };
  if (options.podInfraImage == kDefaultPauseImage) {
    criOptions.ensureDefaultSandboxImage =
        [docker, image = options.podInfraImage](docker::Deadline deadline) {
          return ensurePauseImage(*docker, image, deadline);
        };
  }
  auto copier = logs::LogCopier::create();
  if (!copier) {
    spdlog::error("log copier: {}", copier.status().message());
    return 1;
  }
  criOptions.logCopier = std::shared_ptr<logs::LogCopier>(std::move(*copier));
  auto logFollowers = std::make_shared<logs::LogFollowers>();
  criOptions.logFollowers = logFollowers;
  criOptions.statsRoots.cgroup = options.cgroupRoot;
  criOptions.stateCache = options.stateCache;
  criOptions.cniCheckOnStatus = options.cniCheckOnStatus;
  if (options.networkPlugin == "cni") {
    criOptions.cni = std::make_shared<network::CniManager>(network::CniOptions{
        .binDirs = options.cniBinDirs,
        .confDir = options.cniConfDir,
        .cacheDir = options.cniCacheDir,
        .observe =
            [&metrics](const std::string& operation, const Status& status, double seconds) {
              metrics.observeNetworkPlugin(operation, status, seconds);
              if (auto* cost = common::currentCallCost()) cost->networkSeconds += seconds;
            },
    });
    if (Status ready = criOptions.cni->ready(); !ready) {
      spdlog::warn("pod network not ready until a CNI configuration appears: {}", ready.message());
    }
    // compat: cri-dockerd's --pod-cidr, for nodes whose kubelet never sends one.
    if (!options.podCidr.empty()) criOptions.cni->setPodCidr(options.podCidr);
  } else {
    spdlog::info("--network-plugin=none: pods use Docker's default bridge when it has one");
  }

  // Migration readiness: each new finding is counted; the first of its kind in a pod is logged.
  {
    std::vector<std::string> kinds;
    for (auto kind : migrate::allKinds()) kinds.push_back(migrate::kindName(kind));
    metrics.declareFindingKinds(kinds);
  }
  criOptions.findings = std::make_shared<migrate::FindingStore>(
      [&metrics](const migrate::Finding& f, bool firstOfKindInPod) {
        metrics.observeFinding(migrate::kindName(f.kind));
        if (firstOfKindInPod) {
          spdlog::warn("migration: pod \"{}/{}\" container \"{}\": {} ({}): {}", f.podNamespace,
                       f.pod, f.container, migrate::kindName(f.kind),
                       f.blocking ? "blocks a move to containerd" : "review", f.evidence);
        }
      });

  cri::DockerStreamingRuntime streamingRuntime(docker);
  streaming::ServerOptions streamingOptions;
  streamingOptions.bindAddress = options.streamingBindAddress;
  streamingOptions.idleTimeout = options.streamingIdleTimeout;
  streaming::Server streamingServer(streamingOptions, streamingRuntime);
  if (Status st = streamingServer.start(); !st) {
    spdlog::error("{}", st.message());
    return 1;
  }
  criOptions.streamingUrl = [&streamingServer](streaming::PendingRequest request) {
    return streamingServer.urlFor(std::move(request));
  };
  cri::CriService core(docker, criOptions);
  server::CallSettings callSettings{options.runtimeRequestTimeout};
  callSettings.observe = [&metrics](std::string_view method, Code code, double seconds,
                                    const common::CallCost& cost) {
    metrics.observeRpc(method, code, seconds, cost.dockerSeconds, cost.networkSeconds);
  };
  std::unique_ptr<metrics::HttpServer> metricsServer;
  if (options.metricsBindAddress != "0" && !options.metricsBindAddress.empty()) {
    // /healthz: Docker answers its ping (bounded: a probe must not hang on a stuck dockerd).
    metricsServer = std::make_unique<metrics::HttpServer>(
        options.metricsBindAddress, metrics,
        [docker] { return docker->ping(docker::deadlineIn(std::chrono::seconds(2))); });
    metricsServer->addJsonRoute("/migrate/findings",
                                [findings = criOptions.findings] { return findings->json(); });
    if (Status st = metricsServer->start(); !st) {
      spdlog::error("{}", st.message());
      return 1;
    }
  }
  server::CriServer server(core, callSettings);
  Status started = activated ? server.startOnListeners(activatedFds) : server.start(criSocket);
  if (Status st = started; !st) {
    spdlog::error("{}", st.message());
    return 1;
  }
  DockerWarmup warmup(*docker, options.podInfraImage, core);
  if (common::notifyServiceManager("READY=1") < 0) {
    spdlog::warn("could not tell the service manager READY=1 through NOTIFY_SOCKET: {}",
                 std::strerror(errno));
  }

  // Waiting for a signal, the main thread hands memory freed since back to the kernel now and
  // then: pod starts and stats bursts leave free pages in malloc's arenas, which glibc returns
  // only from the top of each.
  int sig = -1;
  while (sig <= 0) {
    const timespec every{kTrimInterval.count(), 0};
    sig = sigtimedwait(&signals, nullptr, &every);
    if (sig < 0 && errno == EAGAIN) ::malloc_trim(0);
  }
  spdlog::info("signal {} received, stopping (in-flight calls get {})", sig,
               common::formatDuration(kShutdownGrace));
  common::notifyServiceManager("STOPPING=1");
  server.shutdown(kShutdownGrace);
  // Streams from Docker end now; a restart resumes after the last record written.
  logFollowers->stop();
  streamingServer.stop();
  if (metricsServer) metricsServer->stop();
  spdlog::info("dockershim stopped");
  return 0;
}

}  // namespace dockershim::app
