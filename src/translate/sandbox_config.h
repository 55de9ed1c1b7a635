#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dockershim/status.h"
#include "translate/cri_api.h"

namespace dockershim::translate {

// compat: dockershim gave the pause container this oom_score_adj so the OOM killer spares it.
inline constexpr int kSandboxOomScoreAdj = -998;

struct SandboxCreateContext {
  std::string image;           // sandbox (pause) image
  std::string apiVersion;      // negotiated Docker API version
  std::string cgroupDriver;    // "cgroupfs" or "systemd" (docker info)
  std::string dockerRuntime;   // Docker runtime for the runtime handler, "" for Docker's default
  std::string runtimeHandler;  // the CRI runtime handler asked for, recorded in a label
  // False where the daemon lacks CAP_SYS_RESOURCE: a negative oom_score_adj then makes runc
  // fail, so it is raised to 0 (and the caller logs that once).
  bool canLowerOomScore = true;
  // --network-plugin=none on a Docker with its default bridge: the pod joins "bridge" and its
  // port mappings are published by Docker (the legacy no-op plugin's behaviour). False: network
  // mode none, which CNI fills (or loopback only).
  bool dockerBridge = false;
};

// CRI PodSandboxConfig -> the body of POST /containers/create for the pause container:
// hostname, labels (+ internal), network mode none (CNI fills it) or host, IPC "shareable" for
// POD (API >= 1.32) or host, PID host for NODE, sysctls, cgroup parent, runtime, the sandbox's
// security context, oom_score_adj. INVALID_ARGUMENT for what Docker cannot express.
Result<nlohmann::json> makeSandboxCreateBody(const runtime::v1::PodSandboxConfig& config,
                                             const SandboxCreateContext& ctx);

// The cgroup parent as Docker's cgroup driver wants it: unchanged for cgroupfs; for systemd a
// slice name ("/kubepods/burstable/pod1" -> "kubepods-burstable-pod1.slice"; a systemd path
// ".../kubepods-burstable-pod1.slice" -> its last element).
Result<std::string> dockerCgroupParent(std::string_view cgroupParent, std::string_view driver);

// resolv.conf text for a pod's DNS config; empty when the config sets nothing (Docker's copy of
// the host's file stays).
std::string resolvConf(const runtime::v1::DNSConfig& dns);

}  // namespace dockershim::translate
