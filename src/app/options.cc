#include "app/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "common/duration.h"

namespace dockershim::app {

ParseOutcome parseOptions(int argc, char** argv, DaemonOptions& out, const char* version) {
  // compat: DOCKER_HOST is honoured as by the docker CLI and cri-dockerd.
  if (const char* host = std::getenv("DOCKER_HOST"); host && *host) out.dockerEndpoint = host;

  CLI::App app{"dockershim: a Kubernetes CRI runtime endpoint backed by Docker Engine",
               "dockershim"};
  std::string requestTimeout = "2m0s";
  std::string pullDeadline = "1m0s";
  std::string streamingIdle = "4h0m0s";
  bool showVersion = false;
  // Flag names follow cri-dockerd so its unit files work by changing only the binary.
  app.add_option("--container-runtime-endpoint", out.criEndpoint,
                 "CRI endpoint to serve (unix:///path)")
      ->capture_default_str();
  app.add_option("--docker-endpoint", out.dockerEndpoint,
                 "Docker Engine endpoint (unix:///path); DOCKER_HOST is honoured")
      ->capture_default_str();
  app.add_option("--root-directory,--cri-dockerd-root-directory", out.rootDirectory,
                 "state directory (sandbox checkpoints)")
      ->capture_default_str();
  app.add_option(
         "--pod-infra-container-image", out.podInfraImage,
         "sandbox (pause) image; the default is built locally from the embedded pause program")
      ->capture_default_str();
  app.add_option("--runtime-request-timeout", requestTimeout,
                 "bound of every CRI call except pulls (Go duration)")
      ->capture_default_str();
  app.add_option("--image-pull-progress-deadline", pullDeadline,
                 "a pull with no progress for this long is cancelled (Go duration)")
      ->capture_default_str();
  app.add_option("--streaming-bind-addr", out.streamingBindAddress,
                 "address of the exec/attach/port-forward server (ip:port, :port; port 0 picks "
                 "a free one)")
      ->capture_default_str();
  app.add_option("--streaming-idle-timeout,--streaming-connection-idle-timeout", streamingIdle,
                 "a stream with no traffic for this long is closed (Go duration; 0 = never)")
      ->capture_default_str();
  std::string cniBinDirs = "/opt/cni/bin";
  app.add_option("--network-plugin", out.networkPlugin,
                 "cni, or none for Docker's own default bridge")
      ->check(CLI::IsMember({"cni", "none", ""}))
      ->capture_default_str();
  app.add_option("--cni-bin-dir", cniBinDirs,
                 "comma-separated folders of CNI plugins; /usr/lib/cni is searched last")
      ->capture_default_str();
  app.add_option("--cni-conf-dir", out.cniConfDir,
                 "CNI configuration folder: the first valid .conflist/.conf/.json by name is the "
                 "pod network, reread when the folder changes")
      ->capture_default_str();
  app.add_option("--cni-cache-dir", out.cniCacheDir,
                 "where what each pod's CNI ADD returned is kept for its DEL")
      ->capture_default_str();
  app.add_option("--metrics-bind-address", out.metricsBindAddress,
                 "where Prometheus metrics (/metrics) and /healthz are served; 0 disables")
      ->capture_default_str();
  app.add_option("--state-cache", out.stateCache,
                 "serve ListContainers, ListPodSandbox and the status calls from memory kept "
                 "equal to Docker by its events")
      ->capture_default_str();
  app.add_option("--cgroup-root", out.cgroupRoot,
                 "where the cgroup hierarchy is mounted; stats are read from its files")
      ->capture_default_str();
  app.add_option("--log-level", out.logLevel, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error"}))
      ->capture_default_str();
  app.add_flag("--version", showVersion, "print the version and exit");
  // As with Go's flag package (cri-dockerd, kubelet), a flag given twice takes the last value.
  for (auto* opt : app.get_options()) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // cri-dockerd unit files may carry flags of features that land later; they are accepted,
  // reported once at start, and not acted on.
  app.allow_extras();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {true, app.exit(e)};
  }
  if (showVersion) {
    std::cout << "dockershim " << version << "\n";
    return {true, 0};
  }
  auto timeout = common::parseDuration(requestTimeout);
  auto deadline = common::parseDuration(pullDeadline);
  auto idle = common::parseDuration(streamingIdle);
  for (auto* r : {&timeout, &deadline, &idle}) {
    if (!*r) {
      std::cerr << "dockershim: " << r->status().message() << "\n";
      return {true, 2};
    }
  }
  if (timeout->count() <= 0 || deadline->count() <= 0) {
    std::cerr << "dockershim: --runtime-request-timeout and --image-pull-progress-deadline must be "
                 "positive\n";
    return {true, 2};
  }
  out.runtimeRequestTimeout = *timeout;
  out.imagePullProgressDeadline = *deadline;
  if (idle->count() < 0) {
    std::cerr << "dockershim: --streaming-idle-timeout must not be negative\n";
    return {true, 2};
  }
  out.streamingIdleTimeout = *idle;
  if (out.logLevel == "warning") out.logLevel = "warn";
  if (out.networkPlugin.empty()) out.networkPlugin = "none";
  out.cniBinDirs.clear();
  for (size_t start = 0; start <= cniBinDirs.size();) {
    size_t comma = cniBinDirs.find(',', start);
    if (comma == std::string::npos) comma = cniBinDirs.size();
    std::string dir = cniBinDirs.substr(start, comma - start);
    if (!dir.empty()) out.cniBinDirs.push_back(dir);
    start = comma + 1;
  }
  if (std::find(out.cniBinDirs.begin(), out.cniBinDirs.end(), "/usr/lib/cni") ==
      out.cniBinDirs.end()) {
    out.cniBinDirs.push_back("/usr/lib/cni");
  }
  for (const auto& extra : app.remaining()) out.ignoredFlags.push_back(extra);
  return {};
}

}  // namespace dockershim::app
