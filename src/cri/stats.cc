// ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats. Counters come from
// the kernel's cgroup files through each container's main process (stats/sampler.h): no Docker
// call per container per poll, which is what makes dockerd busy under cri-dockerd. Docker is
// asked only for the list of containers (one call), for a container's pid the first time (then
// kept), and for its stats API where the cgroup files cannot be read.
#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <unordered_map>

#include "common/disk_usage.h"
#include "common/json_util.h"
#include "cri/cri_service.h"
#include "docker/api_version.h"
#include "stats/docker_stats.h"
#include "translate/container_list.h"
#include "translate/container_status.h"
#include "translate/labels.h"
#include "translate/stats_metrics.h"

namespace dockershim::cri {

namespace {

// Kept pids and layer paths not used for this long are dropped (removed containers).
constexpr auto kFactsUnusedFor = std::chrono::minutes(5);
// Background measurement of writable layers: bounded like any Docker call.
constexpr auto kLayerMeasureTimeout = std::chrono::seconds(20);
// How long one stats call waits, in all, for layers measured for the first time (the rest are
// answered by a later call).
constexpr auto kLayerFirstWait = std::chrono::seconds(1);

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void setCpu(const stats::CpuUsage& cpu, std::optional<uint64_t> rate, int64_t at,
            v1::CpuUsage* out) {
  out->set_timestamp(at);
  out->mutable_usage_core_nano_seconds()->set_value(cpu.usageNanos);
  if (rate) out->mutable_usage_nano_cores()->set_value(*rate);
}

void setMemory(const stats::MemoryUsage& m, int64_t at, v1::MemoryUsage* out) {
  out->set_timestamp(at);
  out->mutable_working_set_bytes()->set_value(m.workingSet);
  out->mutable_usage_bytes()->set_value(m.usage);
  out->mutable_rss_bytes()->set_value(m.rss);
  out->mutable_page_faults()->set_value(m.pageFaults);
  out->mutable_major_page_faults()->set_value(m.majorPageFaults);
  if (m.available) out->mutable_available_bytes()->set_value(*m.available);
}

template <class Attributes, class From>
void setAttributes(const From& from, Attributes* out) {
  out->set_id(from.id());
  *out->mutable_metadata() = from.metadata();
  *out->mutable_labels() = from.labels();
  *out->mutable_annotations() = from.annotations();
}

}  // namespace

CriService::ProcessFacts CriService::processFactsOf(const nlohmann::json& inspect) {
  ProcessFacts facts;
  const auto& state = common::jsonMember(inspect, "State");
  facts.running = common::jsonBool(state, "Running");
  facts.pid = facts.running ? common::jsonInt(state, "Pid") : 0;
  facts.upperDir = common::jsonString(
      common::jsonMember(common::jsonMember(inspect, "GraphDriver"), "Data"), "UpperDir");
  facts.hostNetwork =
      common::jsonString(common::jsonMember(inspect, "HostConfig"), "NetworkMode") == "host";
  facts.lastUsed = docker::Clock::now();
  return facts;
}

void CriService::rememberFacts(const std::string& id, const ProcessFacts& facts) {
  std::lock_guard<std::mutex> lock(statsMu_);
  processFacts_[id] = facts;
}

Result<CriService::ProcessFacts> CriService::knownFacts(const std::string& id, bool running,
                                                        bool* fresh, const CallContext& ctx) {
  *fresh = false;
  {
    std::lock_guard<std::mutex> lock(statsMu_);
    auto it = processFacts_.find(id);
    if (it != processFacts_.end() && it->second.running == running) {
      it->second.lastUsed = docker::Clock::now();
      return it->second;
    }
  }
  auto inspect = inspectAny(id, ctx);
  if (!inspect) return inspect.status();
  ProcessFacts facts = processFactsOf(**inspect);
  rememberFacts(id, facts);
  *fresh = true;
  return facts;
}

void CriService::pruneStats() {
  auto now = docker::Clock::now();
  std::set<std::string> live;
  {
    std::lock_guard<std::mutex> lock(statsMu_);
    if (now - statsPrunedAt_ < std::chrono::minutes(1)) return;
    statsPrunedAt_ = now;
    for (auto it = processFacts_.begin(); it != processFacts_.end();) {
      if (now - it->second.lastUsed > kFactsUnusedFor) {
        it = processFacts_.erase(it);
      } else {
        live.insert(it->first);
        ++it;
      }
    }
  }
  sampler_->forgetAllBut(live);
  layerSizes_->forgetAllBut(live);
}

Result<stats::CgroupSample> CriService::sampleProcess(const std::string& id, ProcessFacts& facts,
                                                      bool fresh, const CallContext& ctx) {
  if (!facts.running) return Status(Code::kNotFound, "the container is not running");
  auto sample = sampler_->container(id, facts.pid);
  if (!sample && !fresh) {
    // The kept pid may be stale: ask Docker once for the current one.
    auto inspect = docker_->inspectContainer(id, ctx.deadline);
    if (!inspect) return inspect.status();
    facts = processFactsOf(*inspect);
    rememberFacts(id, facts);
    if (!facts.running) return Status(Code::kNotFound, "the container is not running");
    sample = sampler_->container(id, facts.pid);
  }
  if (sample) return sample;
  // The cgroup files cannot be read here (another cgroup mount, a confined dockershim):
  // Docker's stats API, as one sample without its second pre-read (one-shot, API 1.41+).
  std::call_once(statsFallbackWarning_, [&] {
    spdlog::warn(
        "stats: cannot read the cgroup files of container {} ({}); using Docker's stats "
        "API, which costs dockerd a request per container",
        id, sample.status().message());
  });
  docker::Request request;
  request.path = "/containers/" + id + "/stats?stream=false";
  if (docker::apiAtLeast(docker_->versionInfo().negotiated, docker::kApiStatsOneShot)) {
    request.path += "&one-shot=true";
  }
  request.operation = "stats";
  auto response = docker_->call(request, ctx.deadline);
  if (!response) return response.status();
  if (response->status != 200) {
    return Status(Code::kUnavailable, "docker stats answered " + std::to_string(response->status));
  }
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (json.is_discarded()) return Status(Code::kInternal, "docker stats sent no JSON");
  return stats::sampleFromDockerStats(json);
}

std::optional<stats::CgroupSample> CriService::fillContainerStats(const std::string& id,
                                                                  ProcessFacts facts, bool fresh,
                                                                  docker::Deadline layerWaitUntil,
                                                                  const CallContext& ctx,
                                                                  v1::ContainerStats* out) {
  std::optional<stats::CgroupSample> sample;
  if (facts.running) {
    auto read = sampleProcess(id, facts, fresh, ctx);
    int64_t at = nowNanos();
    if (read) {
      sample = std::move(*read);
      if (sample->cpu) {
        setCpu(*sample->cpu, sampler_->cpuRate(id, sample->cpu->usageNanos, docker::Clock::now()),
               at, out->mutable_cpu());
      }
      if (sample->memory) setMemory(*sample->memory, at, out->mutable_memory());
    } else {
      spdlog::debug("stats: container {}: {}", id, read.status().message());
    }
  }
  if (auto layer = writableLayer(id, facts, layerWaitUntil, ctx)) {
    *out->mutable_writable_layer() = *layer;
  }
  return sample;
}

std::optional<v1::FilesystemUsage> CriService::writableLayer(const std::string& id,
                                                             const ProcessFacts& facts,
                                                             docker::Deadline layerWaitUntil,
                                                             const CallContext& ctx) {
  auto dockerFs = dockerFacts(ctx);
  if (!dockerFs) return std::nullopt;
  stats::LayerSizes::Measure measure;
  if (!facts.upperDir.empty()) {
    measure = [dir = facts.upperDir] { return common::diskUsage(dir); };
  } else {
    // Storage drivers without an upper directory: Docker walks the layer (size=1).
    measure = [docker = docker_, id]() -> Result<common::DiskUsage> {
      docker::Request request;
      request.path = "/containers/" + id + "/json?size=1";
      request.operation = "inspect_container_withsize";
      auto response = docker->call(request, docker::deadlineIn(kLayerMeasureTimeout));
      if (!response) return response.status();
      if (response->status != 200) return Status(Code::kNotFound, "no such container");
      auto json = nlohmann::json::parse(response->body, nullptr, false);
      return common::DiskUsage{
          static_cast<uint64_t>(std::max<int64_t>(0, common::jsonInt(json, "SizeRw"))), 0};
    };
  }
  auto usage = layerSizes_->get(id, measure, std::min(layerWaitUntil, ctx.deadline));
  if (!usage) return std::nullopt;
  v1::FilesystemUsage out;
  out.set_timestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(usage->measuredAt.time_since_epoch())
          .count());
  out.mutable_fs_id()->set_mountpoint(dockerFs->rootDir);
  out.mutable_used_bytes()->set_value(usage->usage.bytes);
  out.mutable_inodes_used()->set_value(usage->usage.inodes);
  return out;
}

Status CriService::containerStats(const v1::ContainerStatsRequest& req,
                                  v1::ContainerStatsResponse* resp, const CallContext& ctx) {
  const std::string& id = req.container_id();
  if (id.empty()) return {Code::kInvalidArgument, "container stats: container id is empty"};
  auto inspect = inspectAny(id, ctx);
  if (!inspect) return inspect.status().withContext("container stats \"" + id + "\"");
  const auto& labels = common::jsonMember(common::jsonMember(**inspect, "Config"), "Labels");
  if (common::jsonString(labels, translate::kContainerTypeLabel) !=
      translate::kContainerTypeContainer) {
    return {Code::kNotFound, "container stats: \"" + id + "\" is not a CRI container"};
  }
  v1::ContainerStatus status;
  if (Status st = translate::containerStatusFromInspect(**inspect, nlohmann::json(), &status);
      !st) {
    return st.withContext("container stats \"" + id + "\"");
  }
  auto* stats = resp->mutable_stats();
  setAttributes(status, stats->mutable_attributes());
  ProcessFacts facts = processFactsOf(**inspect);
  rememberFacts(status.id(), facts);
  fillContainerStats(status.id(), facts, true, docker::deadlineIn(kLayerFirstWait), ctx, stats);
  pruneStats();
  return Status::ok();
}

Status CriService::listContainerStats(const v1::ListContainerStatsRequest& req,
                                      v1::ListContainerStatsResponse* resp,
                                      const CallContext& ctx) {
  v1::ContainerFilter filter;
  filter.set_id(req.filter().id());
  filter.set_pod_sandbox_id(req.filter().pod_sandbox_id());
  *filter.mutable_label_selector() = req.filter().label_selector();
  auto list = listAny(translate::containerListFilters(filter), false, ctx);
  if (!list) return list.status().withContext("list container stats");
  if (!list->is_array()) return {Code::kInternal, "list container stats: docker sent no array"};
  auto layerWaitUntil = docker::deadlineIn(kLayerFirstWait);
  for (const auto& summary : *list) {
    v1::Container container;
    if (!translate::containerFromSummary(summary, &container)) continue;
    if (!translate::matches(filter, container)) continue;
    bool fresh = false;
    auto facts =
        knownFacts(container.id(), container.state() == v1::CONTAINER_RUNNING, &fresh, ctx);
    if (!facts) {
      if (facts.status().code() == Code::kNotFound) continue;  // removed meanwhile
      return facts.status().withContext("list container stats");
    }
    auto* stats = resp->add_stats();
    setAttributes(container, stats->mutable_attributes());
    fillContainerStats(container.id(), *facts, fresh, layerWaitUntil, ctx, stats);
  }
  pruneStats();
  return Status::ok();
}

Status CriService::fillPodStats(const std::string& sandboxId, ProcessFacts pause, bool fresh,
                                const std::vector<v1::Container>& containers,
                                docker::Deadline layerWaitUntil, const CallContext& ctx,
                                v1::PodSandboxStats* out) {
  auto* linux = out->mutable_linux();
  std::vector<stats::CgroupSample> samples;
  // The pod's nano-cores: the sum of its members' rates (each over its own window), known only
  // when every running member has one. A sum of counters whose members change (one sample
  // missing once) would read as a restart, then as a huge burst.
  std::optional<uint64_t> podRate = 0;
  if (pause.running) {
    if (auto s = sampleProcess(sandboxId, pause, fresh, ctx)) {
      std::optional<uint64_t> rate;
      if (s->cpu) rate = sampler_->cpuRate(sandboxId, s->cpu->usageNanos, docker::Clock::now());
      podRate = rate ? std::optional<uint64_t>(*podRate + *rate) : std::nullopt;
      samples.push_back(std::move(*s));
    } else {
      podRate = std::nullopt;
    }
  }
  for (const auto& container : containers) {
    bool containerFresh = false;
    auto facts = knownFacts(container.id(), container.state() == v1::CONTAINER_RUNNING,
                            &containerFresh, ctx);
    if (!facts) {
      if (facts.status().code() == Code::kNotFound) continue;
      return facts.status();
    }
    auto* stats = linux->add_containers();
    setAttributes(container, stats->mutable_attributes());
    if (auto s = fillContainerStats(container.id(), *facts, containerFresh, layerWaitUntil, ctx,
                                    stats)) {
      samples.push_back(std::move(*s));
    }
    if (facts->running) {
      bool rated = stats->has_cpu() && stats->cpu().has_usage_nano_cores();
      podRate = podRate && rated
                    ? std::optional<uint64_t>(*podRate + stats->cpu().usage_nano_cores().value())
                    : std::nullopt;
    }
  }
  int64_t at = nowNanos();
  // The pod's usage is the sum of its containers', the pause container's included.
  stats::CgroupSample total = stats::sumSamples(samples);
  if (total.cpu) setCpu(*total.cpu, podRate, at, linux->mutable_cpu());
  if (total.memory) setMemory(*total.memory, at, linux->mutable_memory());
  if (total.processes) {
    linux->mutable_process()->set_timestamp(at);
    linux->mutable_process()->mutable_process_count()->set_value(*total.processes);
  }
  // The pod's own network namespace, read through the pause process; a host-network pod's
  // interfaces are the node's, not the pod's.
  if (pause.running && !pause.hostNetwork) {
    if (auto interfaces = sampler_->network(pause.pid); interfaces && !interfaces->empty()) {
      auto* network = linux->mutable_network();
      network->set_timestamp(at);
      const stats::InterfaceCounters* byDefault = &interfaces->front();
      for (const auto& i : *interfaces) {
        if (i.name == "eth0") byDefault = &i;
      }
      auto fill = [](const stats::InterfaceCounters& i, v1::NetworkInterfaceUsage* usage) {
        usage->set_name(i.name);
        usage->mutable_rx_bytes()->set_value(i.rxBytes);
        usage->mutable_rx_errors()->set_value(i.rxErrors);
        usage->mutable_tx_bytes()->set_value(i.txBytes);
        usage->mutable_tx_errors()->set_value(i.txErrors);
      };
      fill(*byDefault, network->mutable_default_interface());
      for (const auto& i : *interfaces) fill(i, network->add_interfaces());
    }
  }
  return Status::ok();
}

Status CriService::podSandboxStats(const v1::PodSandboxStatsRequest& req,
                                   v1::PodSandboxStatsResponse* resp, const CallContext& ctx) {
  const std::string& id = req.pod_sandbox_id();
  auto inspect = inspectSandbox(id, ctx);
  if (!inspect) return inspect.status().withContext("pod sandbox stats \"" + id + "\"");
  v1::PodSandboxStatus status;
  if (Status st = translate::sandboxStatusFromInspect(**inspect, &status); !st) {
    return st.withContext("pod sandbox stats \"" + id + "\"");
  }
  auto* stats = resp->mutable_stats();
  setAttributes(status, stats->mutable_attributes());
  ProcessFacts pause = processFactsOf(**inspect);
  rememberFacts(status.id(), pause);
  v1::ContainerFilter filter;
  filter.set_pod_sandbox_id(status.id());
  auto list = listAny(translate::containerListFilters(filter), false, ctx);
  if (!list) return list.status().withContext("pod sandbox stats \"" + id + "\"");
  std::vector<v1::Container> containers;
  if (list->is_array()) {
    for (const auto& summary : *list) {
      v1::Container container;
      if (!translate::containerFromSummary(summary, &container)) continue;
      if (translate::matches(filter, container)) containers.push_back(std::move(container));
    }
  }
  if (Status st = fillPodStats(status.id(), pause, true, containers,
                               docker::deadlineIn(kLayerFirstWait), ctx, stats);
      !st) {
    return st.withContext("pod sandbox stats \"" + id + "\"");
  }
  pruneStats();
  return Status::ok();
}

Status CriService::collectPodStats(const v1::PodSandboxFilter& filter, const CallContext& ctx,
                                   std::vector<v1::PodSandboxStats>* out,
                                   std::map<std::string, std::string>* imageOf) {
  auto sandboxes = listAny(translate::sandboxListFilters(filter), true, ctx);
  if (!sandboxes) return sandboxes.status();
  auto containers = listAny(translate::containerListFilters(v1::ContainerFilter()), false, ctx);
  if (!containers) return containers.status();
  std::unordered_map<std::string, std::vector<v1::Container>> byPod;
  if (containers->is_array()) {
    for (const auto& summary : *containers) {
      v1::Container container;
      if (!translate::containerFromSummary(summary, &container)) continue;
      if (imageOf) (*imageOf)[container.id()] = container.image().image();
      byPod[container.pod_sandbox_id()].push_back(std::move(container));
    }
  }
  if (!sandboxes->is_array()) return Status::ok();
  auto layerWaitUntil = docker::deadlineIn(kLayerFirstWait);
  for (const auto& summary : *sandboxes) {
    v1::PodSandbox sandbox;
    if (!translate::sandboxFromSummary(summary, &sandbox)) continue;
    // Only pods that run have anything to measure (the kubelet asks for no others).
    if (sandbox.state() != v1::SANDBOX_READY || !translate::matches(filter, sandbox)) continue;
    bool fresh = false;
    auto pause = knownFacts(sandbox.id(), true, &fresh, ctx);
    if (!pause) {
      if (pause.status().code() == Code::kNotFound) continue;
      return pause.status();
    }
    v1::PodSandboxStats stats;
    setAttributes(sandbox, stats.mutable_attributes());
    if (Status st = fillPodStats(sandbox.id(), *pause, fresh, byPod[sandbox.id()], layerWaitUntil,
                                 ctx, &stats);
        !st) {
      if (st.code() == Code::kNotFound) continue;
      return st;
    }
    out->push_back(std::move(stats));
  }
  pruneStats();
  return Status::ok();
}

Status CriService::listPodSandboxStats(const v1::ListPodSandboxStatsRequest& req,
                                       v1::ListPodSandboxStatsResponse* resp,
                                       const CallContext& ctx) {
  v1::PodSandboxFilter filter;
  filter.set_id(req.filter().id());
  *filter.mutable_label_selector() = req.filter().label_selector();
  std::vector<v1::PodSandboxStats> stats;
  if (Status st = collectPodStats(filter, ctx, &stats, nullptr); !st) {
    return st.withContext("list pod sandbox stats");
  }
  for (auto& s : stats) *resp->add_stats() = std::move(s);
  return Status::ok();
}

Status CriService::listMetricDescriptors(const v1::ListMetricDescriptorsRequest&,
                                         v1::ListMetricDescriptorsResponse* resp,
                                         const CallContext&) {
  for (auto& d : translate::metricDescriptors()) *resp->add_descriptors() = std::move(d);
  return Status::ok();
}

Status CriService::listPodSandboxMetrics(const v1::ListPodSandboxMetricsRequest&,
                                         v1::ListPodSandboxMetricsResponse* resp,
                                         const CallContext& ctx) {
  std::vector<v1::PodSandboxStats> stats;
  std::map<std::string, std::string> imageOf;
  if (Status st = collectPodStats(v1::PodSandboxFilter(), ctx, &stats, &imageOf); !st) {
    return st.withContext("list pod sandbox metrics");
  }
  for (const auto& s : stats) *resp->add_pod_metrics() = translate::podSandboxMetrics(s, imageOf);
  return Status::ok();
}

}  // namespace dockershim::cri
