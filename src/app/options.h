#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::app {

// The project owns this name: `.invalid` can never resolve, so it is plainly local and no
// registry can ever serve something else under it. The daemon builds it from the embedded pause
// program when it is missing.
inline constexpr char kDefaultPauseImage[] = "dockershim.invalid/pause:1.0";

struct DaemonOptions {
  std::string criEndpoint = "unix:///var/run/dockershim.sock";
  std::string dockerEndpoint = "unix:///var/run/docker.sock";
  std::string rootDirectory = "/var/lib/dockershim";
  // false: --root-directory was not given, and cri-dockerd's state may be taken over.
  bool rootDirectoryGiven = false;
  // Where cri-dockerd keeps its state (its --cri-dockerd-root-directory default).
  std::string criDockerdRootDirectory = "/var/lib/cri-dockerd";
  std::string podInfraImage = kDefaultPauseImage;
  std::chrono::milliseconds runtimeRequestTimeout{std::chrono::minutes(2)};
  std::chrono::milliseconds imagePullProgressDeadline{std::chrono::minutes(1)};
  std::string logLevel = "info";
  // The exec/attach/port-forward server: "ip:port", ":port" or "[v6]:port"; port 0 = free one.
  std::string streamingBindAddress = "127.0.0.1:0";
  std::chrono::milliseconds streamingIdleTimeout{std::chrono::hours(4)};
  // "cni" (default) or "none" (Docker's default bridge when it has one, as the legacy no-op
  // plugin; "" means none too).
  std::string networkPlugin = "cni";
  // Searched in order; Debian's /usr/lib/cni always comes last (containernetworking-plugins).
  std::vector<std::string> cniBinDirs = {"/opt/cni/bin", "/usr/lib/cni"};
  std::string cniConfDir = "/etc/cni/net.d";
  std::string cniCacheDir = "/var/lib/cni/cache";
  std::string cgroupRoot = "/sys/fs/cgroup";
  bool stateCache = true;
  bool cniCheckOnStatus = false;
  std::string metricsBindAddress = "127.0.0.1:10260";  // "0": no metrics endpoint
  // cri-dockerd's --pod-cidr: offered to CNI plugins as ipRanges before the kubelet sends one.
  std::string podCidr;
  // cri-dockerd flags accepted for its unit files whose value dockershim does not act on, with
  // why (logged once at start).
  std::vector<std::string> notActedOn;
  std::vector<std::string> ignoredFlags;  // flags no version of cri-dockerd or dockershim knows
};

// cri-dockerd's command lines: Go's flag forms rewritten for CLI11 ("--f=" as an empty value,
// "-long-flag" as "--long-flag"); exposed for tests.
std::vector<std::string> normalizeGoFlags(const std::vector<std::string>& args);

// Parses flags with CLI11. Returns 0-or-more exit: `exitCode` is set (and the caller exits)
// for --help, --version and errors; the message has already been printed.
struct ParseOutcome {
  bool exit = false;
  int exitCode = 0;
};
ParseOutcome parseOptions(int argc, char** argv, DaemonOptions& out, const char* version);

}  // namespace dockershim::app
