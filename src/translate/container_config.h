#pragma once

#include <google/protobuf/repeated_field.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dockershim/status.h"
#include "translate/cri_api.h"

namespace dockershim::translate {

// What CreateContainer knows beyond the CRI request; gathered by cri/ (which does the I/O).
struct ContainerCreateContext {
  std::string sandboxId;     // Docker ID of the sandbox (pause) container
  std::string image;         // what Docker should run, as kubelet named it (checked present)
  std::string logPath;       // absolute CRI log path (sandbox log_directory + log_path), or ""
  std::string cgroupParent;  // the sandbox's cgroup parent, already in the cgroup driver's form
  // The sandbox's Docker runtime (its HostConfig.Runtime): a pod's RuntimeClass applies to all
  // of its containers, and kubelet names it only in RunPodSandbox. "" leaves Docker's default.
  std::string runtime;
  std::string apiVersion;  // negotiated Docker API version: every field must be valid for it
  // Capabilities the host can grant (bit n = capability n, the bounding set): `ALL` expands to
  // these (for privileged containers too). Docker gives a privileged container its own full
  // list and ignores CapAdd/CapDrop then; no API 1.41 field can narrow that. Without
  // CAP_SYS_RESOURCE a negative oom_score_adj is raised to 0 (runc could not apply it).
  uint64_t hostCapabilities = ~0ULL;
  bool apparmorEnabled = false;
  // Reads a Localhost seccomp profile (its contents are passed inline to Docker).
  std::function<Result<std::string>(const std::string& path)> readFile;
};

// CRI ContainerConfig (+ the sandbox's config) -> the body of Docker's POST /containers/create.
// Pure: no I/O but ctx.readFile. INVALID_ARGUMENT for configs CRI forbids or Docker cannot
// express (run_as_group without run_as_user/run_as_username, unknown propagation, ...);
// FAILED_PRECONDITION for a Localhost AppArmor profile on a host without AppArmor; a readFile
// error is returned with its own code. Fields newer than ctx.apiVersion are left out ("" means
// the newest version this client writes).
Result<nlohmann::json> makeContainerCreateBody(const runtime::v1::ContainerConfig& config,
                                               const runtime::v1::PodSandboxConfig& sandbox,
                                               const ContainerCreateContext& ctx);

// CRI LinuxContainerResources -> the Docker HostConfig resource fields (also the body of
// POST /containers/{id}/update): zero values are left out (Docker's update reads them as "keep").
// OomScoreAdj is not a resource Docker can update; makeContainerCreateBody sets it.
nlohmann::json dockerResources(const runtime::v1::LinuxContainerResources& resources);

// Capability names as CRI/kubelet write them ("NET_ADMIN", "CAP_NET_ADMIN", "ALL") -> Docker's
// "CAP_NET_ADMIN" form, case-insensitive, duplicates dropped; `ALL` expands to every capability
// in `hostCapabilities` (bits 0..40). INVALID_ARGUMENT for a name Linux does not define.
Result<std::vector<std::string>> dockerCapabilities(
    const google::protobuf::RepeatedPtrField<std::string>& names, uint64_t hostCapabilities);

}  // namespace dockershim::translate
