#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "dockershim/status.h"
#include "process_groups.h"

// The runtimes `compare` starts on this machine, each private (own state, sockets, CNI network)
// and stopped by its pid: Docker with dockershim in front, and containerd with its CRI plugin.
// No network access is needed: images come from the lab (busybox from Debian's package, the
// pause image dockershim embeds) and are copied from Docker into containerd.
namespace dockershim::lab {

// Each daemon runs in its own process group, spawned with Term::kGroup: stopping it sends
// SIGTERM to the group.
using Child = common::ChildProcess;

struct ChainOptions {
  std::string workDir;           // state of both runtimes
  std::string dockershimBinary;  // the daemon under test
  std::string busyboxScript;     // packaging/make-busybox-rootfs.sh
  std::string cniBinDir = "/usr/lib/cni";
  std::string image = "busybox";  // what the pods run: imported into both
};

// dockerd (its own containerd) with dockershim in front.
class DockerChain {
 public:
  explicit DockerChain(ChainOptions options) : options_(std::move(options)) {}
  ~DockerChain() { stop(); }
  Status start();
  void stop();
  std::string endpoint() const { return "unix://" + dir() + "/dockershim.sock"; }
  const std::string& metrics() const { return metrics_; }  // host:port
  std::string dockerSocket() const { return dir() + "/docker.sock"; }
  // dockershim, dockerd, its containerd, its shims.
  std::vector<GroupSpec> groups() const;
  // A docker-archive of the pause and test images, for containerd.
  Result<std::string> saveImages(const std::string& tarPath) const;
  std::string version;  // Docker's

 private:
  std::string dir() const { return options_.workDir + "/docker"; }
  ChainOptions options_;
  Child dockerd_, dockershim_;
  std::string metrics_;
};

// containerd with its CRI plugin (config written here).
class ContainerdChain {
 public:
  explicit ContainerdChain(ChainOptions options) : options_(std::move(options)) {}
  ~ContainerdChain() { stop(); }
  Status start(const std::string& imagesTar);
  void stop();
  // Named so that no other containerd's shims hold this path in their command lines.
  std::string endpoint() const { return "unix://" + dir() + "/lab-containerd.sock"; }
  std::vector<GroupSpec> groups() const;

 private:
  std::string dir() const { return options_.workDir + "/containerd"; }
  ChainOptions options_;
  Child containerd_;
};

// The same bridge network for both (own bridge name and subnet each).
std::string bridgeConflist(const std::string& name, const std::string& bridge,
                           const std::string& subnet, const std::string& ipamDir);

}  // namespace dockershim::lab
