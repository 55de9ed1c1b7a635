#pragma once

#include <string>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::network {

// The pod a plugin runs for, as the CRI names it.
struct PodRef {
  std::string podNamespace;
  std::string name;
  std::string uid;
  bool operator==(const PodRef&) const = default;
};

// One execution of one plugin. CNI passes everything but the configuration (stdin) in the
// environment; the plugin gets no arguments besides its own path (findPlugin).
struct CniInvocation {
  std::string command;      // "ADD", "DEL", "CHECK" or "VERSION"
  std::string containerId;  // the sandbox id (CNI_CONTAINERID)
  std::string netnsPath;    // /proc/<pause pid>/ns/net; may be empty for DEL only
  std::string ifName = "eth0";
  std::vector<std::string> binDirs;  // CNI_PATH, where plugins find their delegates (IPAM)
  PodRef pod;
  std::string infraContainerId;  // empty: containerId (dockershim's sandbox is the infra container)
};

// The value of CNI_ARGS, in the kubelet's order:
//   IgnoreUnknown=1;K8S_POD_NAMESPACE=<ns>;K8S_POD_NAME=<name>;
//   K8S_POD_INFRA_CONTAINER_ID=<id>;K8S_POD_UID=<uid>
// compat: the kubelet's dockershim CNI plugin sent the first four; containerd and cri-o add
// K8S_POD_UID. IgnoreUnknown=1 makes plugins that parse CNI_ARGS into a fixed struct (libcni's
// types.LoadArgs) accept the keys they do not know instead of failing.
// INVALID_ARGUMENT when a value holds ';' or '=' (CNI_ARGS has no escaping: the plugin would
// read other pairs than we meant) or a NUL byte.
Result<std::string> cniArgs(const CniInvocation& invocation);

// The complete environment of the plugin process ("KEY=VALUE" entries for execve):
// CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_ARGS, CNI_IFNAME, CNI_PATH (binDirs joined with
// ':', empty entries skipped) first, then every `inherited` entry (PATH, proxies, …) except
// those six keys, so a stale CNI_* of our own environment can never reach the plugin twice.
// For VERSION only CNI_COMMAND and CNI_PATH carry values (the others are set empty, as libcni
// does), and nothing else of the invocation is checked.
// INVALID_ARGUMENT when:
//   - the command is not one of the four;
//   - the container id is not what the spec allows ("Must start with an alphanumeric
//     character, optionally followed by any combination of one or more alphanumeric
//     characters, underscore (_), dot (.) or hyphen (-)");
//   - the interface name breaks the spec's Linux rules (empty, "." or "..", 16 bytes or more,
//     '/', ':' or whitespace);
//   - netnsPath is empty for ADD or CHECK (spec 1.0.0: required for both);
//   - a bin dir holds ':' (CNI_PATH's separator);
//   - cniArgs() refuses the pod fields, or any value holds a NUL byte.
Result<std::vector<std::string>> cniEnvironment(const CniInvocation& invocation,
                                                const std::vector<std::string>& inherited);

// The first `<dir>/<type>` in binDirs order that is a regular file (symlinks followed) we may
// execute. CNI: "Runtimes must use the type of network … as the name of the executable to
// invoke". INVALID_ARGUMENT when type is not a plain file name (empty, ".", "..", holding '/'
// or NUL): a network configuration must not be able to name a program elsewhere.
// NOT_FOUND `CNI plugin "<type>" not found in <dir>, <dir>` otherwise, followed by the
// candidates that exist but do not qualify ("… (/opt/cni/bin/bridge: not executable)").
Result<std::string> findPlugin(const std::string& type, const std::vector<std::string>& binDirs);

// Where dockershim looks for plugins unless told otherwise: the upstream default (the kubelet's
// --cni-bin-dir, containerd and cri-o) /opt/cni/bin, then Debian's /usr/lib/cni, where the
// containernetworking-plugins package installs them.
std::vector<std::string> defaultCniBinDirs();

}  // namespace dockershim::network
