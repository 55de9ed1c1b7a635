#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cri/container_events.h"
#include "cri/health_probe.h"
#include "cri/state_cache.h"
#include "dockershim/docker_client.h"
#include "dockershim/status.h"
#include "dockershim/streaming_runtime.h"
#include "logs/log_copier.h"
#include "logs/log_follower.h"
#include "migrate/findings.h"
#include "network/pod_network.h"
#include "stats/layer_sizes.h"
#include "stats/sampler.h"
#include "store/checkpoint.h"
#include "translate/cri_api.h"

namespace dockershim::cri {

namespace v1 = ::runtime::v1;
// A Docker answer kept in memory and shared by its readers.
using JsonPtr = std::shared_ptr<const nlohmann::json>;

// What every RPC handler gets besides its request.
struct CallContext {
  docker::Deadline deadline;
  // True when the client set no deadline of its own (kubelet's PullImage): long operations
  // then rely on their own bound (the pull progress deadline).
  bool clientDeadline = true;
  // True once the client has gone away (cancelled the call); long operations poll it.
  std::function<bool()> cancelled = [] { return false; };
};

struct Options {
  std::string podInfraImage;
  std::chrono::milliseconds pullProgressDeadline{std::chrono::minutes(1)};
  std::string dockerEndpoint;
  std::string rootDirectory;
  std::string version;  // dockershim's own version
  // Creates the default sandbox image when missing (app/ owns the embedded pause program);
  // unset: a missing sandbox image is pulled.
  std::function<Status(docker::Deadline)> ensureDefaultSandboxImage;
  // Copies Docker's json-file logs into the CRI log files; unset: no CRI log files are written.
  std::shared_ptr<logs::LogCopier> logCopier;
  // Follows Docker's logs API into the CRI log files for containers of any other log driver
  // (local, journald, …); unset: such containers get no CRI log file.
  std::shared_ptr<logs::LogFollowers> logFollowers;
  // Hands a validated Exec/Attach/PortForward request to the streaming server and returns the
  // URL its client connects to; unset: those RPCs answer UNAVAILABLE.
  std::function<Result<std::string>(streaming::PendingRequest)> streamingUrl;
  // Pod networking through CNI (--network-plugin=cni). Unset (--network-plugin=none): pods
  // join Docker's default bridge when Docker has one, with port mappings published by Docker;
  // otherwise they have loopback only.
  std::shared_ptr<network::CniManager> cni;
  // Where stats read the kernel's counters (--cgroup-root; /proc).
  stats::Roots statsRoots;
  // How old a writable layer's measured size may get before it is measured again (off the
  // RPC path).
  std::chrono::milliseconds layerSizeRefresh{std::chrono::minutes(1)};
  // --state-cache: ListContainers, ListPodSandbox, ContainerStatus and PodSandboxStatus read
  // Docker's state from memory (cri/state_cache.h) once startStateCache() ran.
  bool stateCache = true;
  // --cni-check-on-status: a verbose PodSandboxStatus (crictl inspectp) runs CNI CHECK, forking
  // the plugins; off, it shows the pod's addresses and no plugin runs.
  bool cniCheckOnStatus = false;
  // Migration readiness (migrate/findings.h): what CreateContainer and ExecSync notice that
  // would break or change on containerd, kept per pod; unset: nothing is noted.
  std::shared_ptr<migrate::FindingStore> findings;
};

// Appends a list entry already serialised to repeated field `field` of `list`, as serialising
// it there would: an unknown field of that number (tag, length, bytes) is written as it is.
inline void appendSerialized(google::protobuf::Message* list, int field, const std::string& bytes) {
  list->GetReflection()->MutableUnknownFields(list)->AddLengthDelimited(field, bytes);
}

// Adds one entry to list `items` (repeated field `field` of `resp`): in the wire form as bytes
// (`kept`, the entry as serialised when it was kept, or serialised now), else as a message.
template <class Entry>
void addListed(google::protobuf::Message* resp, int field,
               google::protobuf::RepeatedPtrField<Entry>* items, bool wire, const Entry& entry,
               const std::string* kept) {
  if (!wire) {
    *items->Add() = entry;
  } else if (kept) {
    appendSerialized(resp, field, *kept);
  } else {
    appendSerialized(resp, field, entry.SerializeAsString());
  }
}

// Unary RPCs of RuntimeService and ImageService, as (gRPC name, handler name). The server
// adapters (v1, v1alpha2) are generated from these lists so the two APIs cannot drift apart.
#define DOCKERSHIM_RUNTIME_RPCS(X)                      \
  X(Version, version)                                   \
  X(RunPodSandbox, runPodSandbox)                       \
  X(StopPodSandbox, stopPodSandbox)                     \
  X(RemovePodSandbox, removePodSandbox)                 \
  X(PodSandboxStatus, podSandboxStatus)                 \
  X(ListPodSandbox, listPodSandboxForWire)              \
  X(CreateContainer, createContainer)                   \
  X(StartContainer, startContainer)                     \
  X(StopContainer, stopContainer)                       \
  X(RemoveContainer, removeContainer)                   \
  X(ListContainers, listContainersForWire)              \
  X(ContainerStatus, containerStatus)                   \
  X(UpdateContainerResources, updateContainerResources) \
  X(ReopenContainerLog, reopenContainerLog)             \
  X(ExecSync, execSync)                                 \
  X(Exec, exec)                                         \
  X(Attach, attach)                                     \
  X(PortForward, portForward)                           \
  X(ContainerStats, containerStats)                     \
  X(ListContainerStats, listContainerStats)             \
  X(PodSandboxStats, podSandboxStats)                   \
  X(ListPodSandboxStats, listPodSandboxStats)           \
  X(UpdateRuntimeConfig, updateRuntimeConfig)           \
  X(Status, status)
// RPCs only runtime.v1 has.
#define DOCKERSHIM_RUNTIME_V1_ONLY_RPCS(X)        \
  X(CheckpointContainer, checkpointContainer)     \
  X(ListMetricDescriptors, listMetricDescriptors) \
  X(ListPodSandboxMetrics, listPodSandboxMetrics) \
  X(RuntimeConfig, runtimeConfig)                 \
  X(UpdatePodSandboxResources, updatePodSandboxResources)
#define DOCKERSHIM_IMAGE_RPCS(X) \
  X(ListImages, listImages)      \
  X(ImageStatus, imageStatus)    \
  X(PullImage, pullImage)        \
  X(RemoveImage, removeImage)    \
  X(ImageFsInfo, imageFsInfo)

// CRI semantics, one file per RPC or tight group; speaks runtime.v1 only (the v1alpha2
// adapter converts). Thread-safe: gRPC calls handlers from many threads.
class CriService {
 public:
  CriService(std::shared_ptr<docker::DockerClient> docker, Options options);

#define DOCKERSHIM_DECLARE_RPC(Rpc, fn) \
  Status fn(const v1::Rpc##Request& req, v1::Rpc##Response* resp, const CallContext& ctx);
  DOCKERSHIM_RUNTIME_RPCS(DOCKERSHIM_DECLARE_RPC)
  DOCKERSHIM_RUNTIME_V1_ONLY_RPCS(DOCKERSHIM_DECLARE_RPC)
  DOCKERSHIM_IMAGE_RPCS(DOCKERSHIM_DECLARE_RPC)
#undef DOCKERSHIM_DECLARE_RPC
  // The lists as in-process callers read them. The *ForWire forms the server sends may carry
  // entries served from memory in their serialised form (unknown fields of the response with
  // the list's field number, which is what serialising the entries would write): they read
  // back the same from the wire, but not in process.
  Status listContainers(const v1::ListContainersRequest& req, v1::ListContainersResponse* resp,
                        const CallContext& ctx);
  Status listPodSandbox(const v1::ListPodSandboxRequest& req, v1::ListPodSandboxResponse* resp,
                        const CallContext& ctx);

  // GetContainerEvents (server stream): `write` sends one event (false: the client is gone).
  // Runs until the client goes away; RESOURCE_EXHAUSTED when it fell too far behind (it
  // relists and subscribes again). No deadline applies, only the client's cancellation.
  Status getContainerEvents(const v1::GetEventsRequest& req,
                            const std::function<bool(const v1::ContainerEventResponse&)>& write,
                            const CallContext& ctx);
  // How many times the Docker event stream was re-established (tests, metrics).
  uint64_t eventStreamReconnects() const { return events_->reconnects(); }

  const Options& options() const { return options_; }

  // Starts following Docker's events for the state cache (no-op without --state-cache).
  void startStateCache();

  // After a (re)start: copies the logs of every CRI container Docker has, so output written
  // while dockershim was down reaches the CRI log files too.
  Status resumeLogs(docker::Deadline deadline);
  // After a (re)start: CNI records whose sandbox Docker no longer has and no checkpoint names
  // (dockershim stopped between removing a pod's container and its DEL, or a failed
  // RunPodSandbox could not undo its network) get their DEL now, so IPAM addresses are not
  // lost. Sandboxes with a checkpoint are left to the kubelet's StopPodSandbox.
  Status reconcileNetworks(docker::Deadline deadline);

 private:
  Status listContainersAs(const v1::ListContainersRequest& req, v1::ListContainersResponse* resp,
                          const CallContext& ctx, bool wire);
  Status listPodSandboxAs(const v1::ListPodSandboxRequest& req, v1::ListPodSandboxResponse* resp,
                          const CallContext& ctx, bool wire);
  // The sandbox image, created (default name) or pulled when missing.
  Status ensureSandboxImage(const CallContext& ctx);
  // The Docker runtime for a CRI runtime handler; INVALID_ARGUMENT when Docker has none such.
  Result<std::string> dockerRuntimeFor(const std::string& handler, const CallContext& ctx);
  // The sandbox's inspect, NOT_FOUND when Docker has no such pause container.
  Result<JsonPtr> inspectSandbox(const std::string& id, const CallContext& ctx, bool whole = false);
  // Exec/Attach: the container exists and runs.
  Status requireRunning(const char* rpc, const std::string& id, const CallContext& ctx);
  Result<std::string> streamingUrl(streaming::PendingRequest request);
  bool canLowerOomScore();
  // A sandbox id as given, or the full id of the one checkpoint it prefixes (for sandboxes
  // whose pause container is gone).
  std::string resolveByCheckpoint(const std::string& id);
  // CNI DEL for a sandbox that was set up (nothing otherwise); pauseExists: Docker still has its
  // pause container (inspected again here for a current pid).
  Status tearDownNetwork(const std::string& sandboxId, bool pauseExists, const CallContext& ctx);
  // A sandbox known to have no network is not ready (CniManager::withoutNetwork).
  template <class Sandbox>
  bool readyWithoutNetwork(const Sandbox& sandbox) {
    return options_.cni && sandbox.state() == v1::SANDBOX_READY &&
           options_.cni->withoutNetwork(sandbox.id());
  }
  template <class Sandbox>
  void notReadyWithoutNetwork(Sandbox& sandbox) {
    if (readyWithoutNetwork(sandbox)) sandbox.set_state(v1::SANDBOX_NOTREADY);
  }
  // A running CNI-mode sandbox (Docker network "none") without a record of ours: one that
  // cri-dockerd or the kubelet's dockershim set up before this node switched. Its addresses
  // are adopted (network::CniManager::adopt). Caller holds the PodLock.
  std::vector<std::string> adoptNetwork(const std::string& sandboxId, const nlohmann::json& inspect,
                                        const v1::PodSandboxMetadata& metadata);
  // The Docker API version in use, negotiated first when there is none yet: what create bodies
  // are written for, and sent at.
  Result<std::string> dockerApiVersion(const CallContext& ctx);
  // Starts copying a container's output into its CRI log (inspect: Docker's view of it): from
  // Docker's json-file log, else through Docker's logs API.
  void watchLogs(const nlohmann::json& inspect);
  // Stops copying (what is left is copied first).
  void unwatchLogs(const std::string& containerId);
  // Docker's logs API for one container, as the log followers read it.
  logs::FollowSource followSource(const std::string& containerId);

  // What `docker info` says that CRI calls need. Consistency rule: these change only when
  // dockerd restarts or reloads its configuration, so they are refetched at most every 30 s;
  // liveness (Status's ping) is never cached. `docker info` costs dockerd several ms.
  struct DockerFacts {
    std::string cgroupDriver;
    std::string rootDir;
    std::string storageDriver;
    std::vector<std::string> runtimes;
    // Docker has its default "bridge" network (not started with --bridge=none); asked only
    // without CNI.
    bool bridgeNetwork = false;
  };
  static constexpr std::chrono::seconds kFactsTtl{30};
  // Facts older than `maxAge` are asked for again.
  Result<DockerFacts> dockerFacts(const CallContext& ctx, std::chrono::seconds maxAge = kFactsTtl);
  // Whether Docker answers, for Status: the background ping's recent good outcome while the
  // event stream is up, else a ping now (bounded).
  Status dockerHealth(const CallContext& ctx);

  // Stats (stats.cc). What a container's counters are read through, kept across calls: its pid
  // is trusted while the pid's cgroup names the container (stats::Sampler checks), asked of
  // Docker again when not.
  struct ProcessFacts {
    bool running = false;
    int64_t pid = 0;
    std::string upperDir;  // the writable layer's folder (overlay2), else empty
    bool hostNetwork = false;
    docker::Clock::time_point lastUsed{};
  };
  static ProcessFacts processFactsOf(const nlohmann::json& inspect);
  void rememberFacts(const std::string& id, const ProcessFacts& facts);
  // The kept facts when they agree with `running` (what Docker's list says), else a fresh
  // inspect (*fresh = true).
  Result<ProcessFacts> knownFacts(const std::string& id, bool running, bool* fresh,
                                  const CallContext& ctx);
  // The counters of a running container (or pause container); a stale pid is refreshed once
  // unless `fresh`; Docker's stats API where the cgroup files cannot be read.
  Result<stats::CgroupSample> sampleProcess(const std::string& id, ProcessFacts& facts, bool fresh,
                                            const CallContext& ctx);
  // cpu, memory (running containers) and writable layer into `out`; the sample for pod sums.
  // A layer measured for the first time is waited for until `layerWaitUntil` (one budget per
  // call).
  std::optional<stats::CgroupSample> fillContainerStats(const std::string& id, ProcessFacts facts,
                                                        bool fresh, docker::Deadline layerWaitUntil,
                                                        const CallContext& ctx,
                                                        v1::ContainerStats* out);
  std::optional<v1::FilesystemUsage> writableLayer(const std::string& id, const ProcessFacts& facts,
                                                   docker::Deadline layerWaitUntil,
                                                   const CallContext& ctx);
  Status fillPodStats(const std::string& sandboxId, ProcessFacts pause, bool fresh,
                      const std::vector<v1::Container>& containers, docker::Deadline layerWaitUntil,
                      const CallContext& ctx, v1::PodSandboxStats* out);
  // The stats of running pods matching `filter` (ListPodSandboxStats, ListPodSandboxMetrics);
  // each container's image by id into `imageOf` when given.
  Status collectPodStats(const v1::PodSandboxFilter& filter, const CallContext& ctx,
                         std::vector<v1::PodSandboxStats>* out,
                         std::map<std::string, std::string>* imageOf);
  // State cache (state_cache_feed.cc). A container's inspect: from memory when the cache is
  // synced and holds it, else from Docker (and then kept). Shared, not copied: what is kept is
  // never changed, only replaced.
  Result<JsonPtr> inspectAny(const std::string& id, const CallContext& ctx);
  // Compacts a container's inspect from Docker and keeps it (cache_ set): what readers share.
  JsonPtr keepInspect(nlohmann::json inspect, uint64_t generation);
  // Docker's inspect as Docker sends it (memory keeps it compacted): for verbose answers.
  Result<JsonPtr> inspectWhole(const std::string& id, const CallContext& ctx);
  // Docker's list of CRI containers or sandboxes (`filters` as for GET /containers/json), from
  // memory when synced (the caller re-checks CRI filters with translate::matches()).
  Result<nlohmann::json> listAny(const nlohmann::json& filters, bool sandboxes,
                                 const CallContext& ctx);
  // The image a listed container shows when not the name it was created from (`configured`):
  // its ID, once that name resolves to another image or none; nullopt: the name as created.
  // `lookup` carries Docker's images from one container of a list to the next.
  struct ImageLookup {
    std::shared_ptr<const ImageSet> images;
    bool asked = false;
  };
  std::optional<std::string> listedImage(const std::string& configured, const std::string& imageId,
                                         ImageLookup& lookup, const CallContext& ctx);
  // Docker's images: from memory while the cache is synced, listed again (one request) after
  // each image change; null when the cache is not synced or Docker did not answer.
  std::shared_ptr<const ImageSet> currentImages(const CallContext& ctx);
  // ImageStatus (not verbose) from currentImages(); nullopt when memory cannot answer.
  std::optional<Status> imageStatusFromMemory(const std::string& name,
                                              v1::ImageStatusResponse* resp,
                                              const CallContext& ctx);
  // An image's inspect (by ID or name), from memory when synced and kept, else from Docker.
  Result<JsonPtr> inspectImageAny(const std::string& nameOrId, const CallContext& ctx);
  // Images were pulled, tagged or removed: what is kept of them goes.
  void imagesChanged();
  // Asks Docker again for a container (a write of ours changed it, or an event named it).
  void refreshCached(const std::string& id);
  // The sandbox and every kept container of its pod.
  void refreshPod(const std::string& sandboxId);
  void onListed(const nlohmann::json& list, uint64_t mark);

  // An event's pod sandbox status and the statuses of the pod's containers (events.cc).
  v1::ContainerEventResponse describeEvent(const RawEvent& event);

  // Migration readiness (migrate_findings.cc): notes what a new container trips, and an exec
  // that outlived its timeout.
  void noteCreated(const v1::CreateContainerRequest& req, const nlohmann::json& image,
                   const std::string& sandboxId, const std::string& dockerRoot);
  void noteExecOverran(const std::string& containerId, const v1::ExecSyncRequest& req,
                       const CallContext& ctx);

  // Drops facts, CPU marks and layer sizes of containers no stats call asked for lately.
  void pruneStats();

  struct FsUsageCache {
    std::mutex mu;
    docker::Clock::time_point at{};
    std::string mountpoint;
    uint64_t bytes = 0;
    uint64_t inodes = 0;
  };

  std::shared_ptr<docker::DockerClient> docker_;
  Options options_;
  // The sandbox image in Docker's familiar "name:tag" form: reported pinned.
  std::vector<std::string> pinnedImages_;
  std::unique_ptr<store::CheckpointStore> checkpoints_;
  uint64_t hostCapabilities_;
  std::once_flag oomWarning_;
  FsUsageCache fsUsage_;
  std::mutex factsMu_;
  docker::Clock::time_point factsAt_{};
  std::optional<DockerFacts> facts_;
  // Docker's /version, kept while the state cache is synced in one event-stream epoch: it
  // changes only when dockerd restarts, which ends the stream.
  std::mutex versionMu_;
  std::optional<docker::VersionInfo> version_;
  uint64_t versionEpoch_ = 0;
  std::unique_ptr<stats::Sampler> sampler_;
  std::unique_ptr<stats::LayerSizes> layerSizes_;
  std::mutex statsMu_;
  std::unordered_map<std::string, ProcessFacts> processFacts_;
  docker::Clock::time_point statsPrunedAt_{};
  std::once_flag statsFallbackWarning_;
  // The last status of each sandbox an event described: a DELETED sandbox event carries it.
  std::mutex eventsMu_;
  std::unordered_map<std::string, v1::PodSandboxStatus> lastSandboxStatus_;
  std::unique_ptr<StateCache> cache_;  // null without --state-cache
  // Pings Docker in the background (and refreshes the facts before they expire); started by
  // startStateCache(). Before events_, after what its thread uses.
  std::unique_ptr<HealthProbe> health_;
  // Last member: its thread calls into the others, so it stops first.
  std::unique_ptr<EventHub> events_;
};

}  // namespace dockershim::cri
