// The steady-state phase (the kubelet's polling load while the daemons are sampled) and the
// per-call latencies with their hop breakdown.
#include <functional>
#include <set>

#include "lab_stats.h"
#include "metrics_scrape.h"
#include "workload.h"

namespace dockershim::lab {

namespace {

using Clock = std::chrono::steady_clock;

struct Timed {
  std::map<std::string, std::vector<double>> ms;
  std::map<std::string, int> errors;
  // Calls `method` and records its time and outcome under `rpc`.
  template <class Stub, class Req, class Resp>
  void call(const CriClient& cri, const std::string& rpc,
            grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), const Req& req,
            Resp* resp) {
    double took = 0;
    if (!cri.timedCall(method, req, resp, &took).ok()) ++errors[rpc];
    ms[rpc].push_back(took);
  }
  nlohmann::json json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [rpc, values] : ms) {
      auto it = errors.find(rpc);
      out[rpc] = {{"latency_ms", toJson(summarize(values))},
                  {"errors", it == errors.end() ? 0 : it->second}};
    }
    return out;
  }
};

}  // namespace

nlohmann::json Workload::steadyState() {
  setPhase("steady");
  progress_.phase("steady", 0);
  Timed timed;
  // The kubelet's generic PLEG: relist every second, statuses of what changed; stats every 10 s.
  std::map<std::string, v1::ContainerState> known;
  auto begin = Clock::now();
  auto end = begin + options_.steady;
  auto nextStats = begin;
  for (auto tick = begin; Clock::now() < end && !stopping(); tick += std::chrono::seconds(1)) {
    v1::ListPodSandboxRequest podsReq;
    v1::ListPodSandboxResponse pods;
    timed.call(cri_, "ListPodSandbox", &v1::RuntimeService::Stub::ListPodSandbox, podsReq, &pods);
    v1::ListContainersRequest ctrReq;
    v1::ListContainersResponse containers;
    timed.call(cri_, "ListContainers", &v1::RuntimeService::Stub::ListContainers, ctrReq,
               &containers);
    std::set<std::string> changedPods;
    std::map<std::string, std::vector<std::string>> byPod;
    for (const auto& c : containers.containers()) {
      byPod[c.pod_sandbox_id()].push_back(c.id());
      auto it = known.find(c.id());
      if (it == known.end() || it->second != c.state()) changedPods.insert(c.pod_sandbox_id());
      known[c.id()] = c.state();
    }
    for (const auto& podId : changedPods) {
      v1::PodSandboxStatusRequest req;
      req.set_pod_sandbox_id(podId);
      v1::PodSandboxStatusResponse resp;
      timed.call(cri_, "PodSandboxStatus", &v1::RuntimeService::Stub::PodSandboxStatus, req, &resp);
      for (const auto& id : byPod[podId]) {
        v1::ContainerStatusRequest creq;
        creq.set_container_id(id);
        v1::ContainerStatusResponse cresp;
        timed.call(cri_, "ContainerStatus", &v1::RuntimeService::Stub::ContainerStatus, creq,
                   &cresp);
      }
    }
    if (Clock::now() >= nextStats) {
      nextStats += std::chrono::seconds(10);
      v1::ListContainerStatsRequest csReq;
      v1::ListContainerStatsResponse cs;
      timed.call(cri_, "ListContainerStats", &v1::RuntimeService::Stub::ListContainerStats, csReq,
                 &cs);
      v1::ListPodSandboxStatsRequest psReq;
      v1::ListPodSandboxStatsResponse ps;
      timed.call(cri_, "ListPodSandboxStats", &v1::RuntimeService::Stub::ListPodSandboxStats, psReq,
                 &ps);
      v1::ImageFsInfoRequest fsReq;
      v1::ImageFsInfoResponse fs;
      timed.call(cri_, "ImageFsInfo", &v1::ImageService::Stub::ImageFsInfo, fsReq, &fs);
    }
    auto next = tick + std::chrono::seconds(1);
    while (Clock::now() < next && Clock::now() < end && !stopping()) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(std::chrono::milliseconds(50), next - Clock::now()));
    }
  }
  // The samples of the last second belong to this phase too.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  return {{"duration_s", msSince(begin) / 1000},
          {"calls", timed.json()},
          {"groups", groupsDuring("steady")}};
}

nlohmann::json Workload::perCall() {
  setPhase("per_call");
  // A pod that started, to ask about.
  const PodRecord* pod = nullptr;
  for (const auto& p : pods_) {
    if (p.total >= 0) {
      pod = &p;
      break;
    }
  }
  using Call = std::function<grpc::Status()>;
  std::vector<std::pair<std::string, Call>> calls;
  // Each RPC with a request at this size; the response type comes from the method.
#define LAB_CALL(stub, rpc, request)                    \
  calls.emplace_back(#rpc, [this, req = (request)] {    \
    v1::rpc##Response resp;                             \
    return cri_.call(&v1::stub::Stub::rpc, req, &resp); \
  })
  LAB_CALL(RuntimeService, Version, v1::VersionRequest());
  LAB_CALL(RuntimeService, Status, v1::StatusRequest());
  LAB_CALL(RuntimeService, ListPodSandbox, v1::ListPodSandboxRequest());
  LAB_CALL(RuntimeService, ListContainers, v1::ListContainersRequest());
  LAB_CALL(RuntimeService, ListContainerStats, v1::ListContainerStatsRequest());
  LAB_CALL(RuntimeService, ListPodSandboxStats, v1::ListPodSandboxStatsRequest());
  LAB_CALL(ImageService, ImageFsInfo, v1::ImageFsInfoRequest());
  LAB_CALL(ImageService, ListImages, v1::ListImagesRequest());
  v1::ImageStatusRequest imageReq;
  imageReq.mutable_image()->set_image(options_.image);
  LAB_CALL(ImageService, ImageStatus, imageReq);
  if (pod) {
    v1::PodSandboxStatusRequest ps;
    ps.set_pod_sandbox_id(pod->sandboxId);
    LAB_CALL(RuntimeService, PodSandboxStatus, ps);
    v1::ContainerStatusRequest cs;
    cs.set_container_id(pod->containerId);
    LAB_CALL(RuntimeService, ContainerStatus, cs);
    v1::ContainerStatsRequest cst;
    cst.set_container_id(pod->containerId);
    LAB_CALL(RuntimeService, ContainerStats, cst);
    v1::PodSandboxStatsRequest pst;
    pst.set_pod_sandbox_id(pod->sandboxId);
    LAB_CALL(RuntimeService, PodSandboxStats, pst);
    v1::ExecSyncRequest exec;
    exec.set_container_id(pod->containerId);
    exec.add_cmd("true");
    exec.set_timeout(10);
    LAB_CALL(RuntimeService, ExecSync, exec);
  }
#undef LAB_CALL

  progress_.phase("per-call", static_cast<int>(calls.size()));
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, call] : calls) {
    if (stopping()) break;
    // ExecSync starts a process each time: fewer of them.
    int reps = name == "ExecSync" ? std::max(3, options_.reps / 10) : options_.reps;
    Result<Samples> before = Status(Code::kUnavailable, "no metrics");
    if (!options_.metrics.empty()) before = scrapeMetrics(options_.metrics);
    std::vector<double> ms;
    int errors = 0;
    for (int i = 0; i < reps && !stopping(); ++i) {
      auto t = Clock::now();
      if (!call().ok()) ++errors;
      ms.push_back(msSince(t));
    }
    auto summary = summarize(ms);
    nlohmann::json entry = {
        {"reps", ms.size()}, {"errors", errors}, {"latency_ms", toJson(summary)}};
    if (before) {
      if (auto after = scrapeMetrics(options_.metrics); after && !ms.empty()) {
        double n = static_cast<double>(ms.size());
        auto delta = [&](std::string_view metric, std::string_view labels = {}) {
          return sumOf(*after, metric, labels) - sumOf(*before, metric, labels);
        };
        std::string method = "method=\"" + name + "\"";
        double serverMs = delta("dockershim_cri_request_duration_seconds_sum", method) * 1000 / n;
        // What the calls themselves waited on (dockershim counts it per method); an older
        // dockershim only has Docker's total over the window, background requests included.
        double dockerMs = 0, networkMs = 0;
        if (after->count("dockershim_cri_request_docker_seconds_total{" + method + "}")) {
          dockerMs = delta("dockershim_cri_request_docker_seconds_total", method) * 1000 / n;
          networkMs = delta("dockershim_cri_request_network_seconds_total", method) * 1000 / n;
        } else {
          dockerMs = delta("dockershim_docker_operations_duration_seconds_sum") * 1000 / n;
        }
        double dockerRequests = delta("dockershim_docker_operations_total") / n;
        // Client-seen mean = transport (gRPC both ways) + dockershim's own work + Docker's
        // + the CNI plugins'.
        entry["hops_ms"] = {
            {"client_mean", summary.mean},
            {"transport", summary.mean - serverMs},
            {"dockershim", serverMs - dockerMs - networkMs},
            {"docker", dockerMs},
            {"network", networkMs},
            {"docker_requests_per_call", dockerRequests},
        };
      }
    }
    out[name] = entry;
    progress_.advance();
  }
  return out;
}

}  // namespace dockershim::lab
