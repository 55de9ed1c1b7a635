#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dockershim/status.h"

// Docker's settings (/etc/docker/daemon.json and what `docker info` reports of the running
// engine, which includes dockerd's command-line flags) translated into what a containerd node
// needs: the CRI plugin's part of config.toml, a hosts.toml per registry, the kubelet settings
// that take over from Docker's, and the settings nothing takes over. Pure: text in, text out.
namespace dockershim::migrate {

struct ContainerdTarget {
  // Where the generated config.toml tells containerd to live.
  std::string root = "/var/lib/containerd";
  std::string state = "/run/containerd";
  std::string address = "/run/containerd/containerd.sock";
  // Where the hosts.toml files are installed (the CRI registry's config_path).
  std::string certsDir = "/etc/containerd/certs.d";
  std::string cniBinDir = "/opt/cni/bin";
  std::string cniConfDir = "/etc/cni/net.d";
  // The sandbox (pause) image the node's pods use now.
  std::string sandboxImage;
  // The host cannot lower oom_score_adj (no CAP_SYS_RESOURCE): containerd is told to clamp.
  bool restrictOomScoreAdj = false;
};

struct Unsupported {
  std::string setting;  // "live-restore"
  std::string value;    // as set ("true")
  std::string why;      // what happens instead, what to do
};

struct ContainerdPlan {
  std::string configToml;
  std::map<std::string, std::string> hostsToml;  // registry host ("docker.io") -> hosts.toml
  std::string kubeletConfig;                     // a KubeletConfiguration (YAML) to merge
  std::vector<std::string> notes;                // what was carried over, and how
  std::vector<Unsupported> unsupported;
  // Facts the translation settled on, for the report and tests.
  std::string cgroupDriver;  // "systemd" or "cgroupfs"
  std::string defaultRuntime;
  std::vector<std::string> runtimeHandlers;
};

// `daemonJson` is the text of daemon.json ("" when the file is absent); `info` is Docker's
// GET /info answer (null when Docker is not asked). INVALID_ARGUMENT naming the setting for a
// file that is not a JSON object or a setting of the wrong type.
Result<ContainerdPlan> translateDockerConfig(const std::string& daemonJson,
                                             const nlohmann::json& info,
                                             const ContainerdTarget& target);

// Docker's size units (go-units RAMInBytes: k, m, g are 1024-based) as a Kubernetes quantity:
// "10m" -> "10Mi", "512k" -> "512Ki", "100" -> "100". INVALID_ARGUMENT when not a size.
Result<std::string> dockerSizeToQuantity(const std::string& size);

// TOML's basic string: quoted, with \ " and control characters escaped.
std::string tomlString(const std::string& s);

}  // namespace dockershim::migrate
