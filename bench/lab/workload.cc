#include "workload.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "lab_stats.h"

namespace dockershim::lab {

namespace {

using Clock = std::chrono::steady_clock;

std::string newRunId() {
  std::random_device rd;
  char id[16];
  std::snprintf(id, sizeof id, "%08x", static_cast<unsigned>(rd()));
  return id;
}

// Runs `work(i)` for i in [0, n) on `parallel` threads; `work` returns nothing, checks stop.
template <class Work>
void forEachParallel(int n, int parallel, Work work) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  int count = std::max(1, std::min(parallel, n));
  for (int t = 0; t < count; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) work(i);
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace

Workload::Workload(CriClient& cri, RunOptions options, const std::atomic<bool>& stop)
    : cri_(cri),
      options_(std::move(options)),
      stop_(stop),
      runId_(newRunId()),
      progress_(options_.progress),
      begin_(Clock::now()),
      sampler_(options_.groups) {}

Workload::~Workload() { stopSampling(); }

void Workload::startSampling() {
  auto first = sampler_.read();
  for (const auto& g : first) processesBefore_.push_back(g.processes());
  samplerThread_ = std::thread([this, previous = std::move(first)]() mutable {
    auto previousAt = Clock::now();
    while (!samplingDone_) {
      // Every second, on the second (a late wakeup does not shift the next one).
      auto next = previousAt + std::chrono::seconds(1);
      while (!samplingDone_ && Clock::now() < next) {
        std::this_thread::sleep_for(
            std::min<Clock::duration>(std::chrono::milliseconds(50), next - Clock::now()));
      }
      if (samplingDone_) break;
      auto now = Clock::now();
      auto reading = sampler_.read();
      double wall = std::chrono::duration<double>(now - previousAt).count();
      Sample s;
      s.t = std::chrono::duration<double>(now - begin_).count();
      for (size_t i = 0; i < reading.size(); ++i) {
        s.cores.push_back(groupCores(previous[i], reading[i], wall));
        s.rss.push_back(reading[i].rssBytes);
        s.processes.push_back(reading[i].processes());
      }
      {
        std::lock_guard<std::mutex> lock(sampleMu_);
        s.phase = phase_;
        samples_.push_back(std::move(s));
      }
      previous = std::move(reading);
      previousAt = now;
    }
  });
}

void Workload::stopSampling() {
  samplingDone_ = true;
  if (samplerThread_.joinable()) samplerThread_.join();
}

void Workload::setPhase(const std::string& phase) {
  std::lock_guard<std::mutex> lock(sampleMu_);
  phase_ = phase;
}

nlohmann::json Workload::groupsDuring(const std::string& phase) const {
  std::lock_guard<std::mutex> lock(sampleMu_);
  nlohmann::json out = nlohmann::json::object();
  const auto& specs = sampler_.specs();
  for (size_t g = 0; g < specs.size(); ++g) {
    std::vector<double> cores, rss;
    size_t processes = 0;
    for (const auto& s : samples_) {
      if (s.phase != phase) continue;
      cores.push_back(s.cores[g]);
      rss.push_back(static_cast<double>(s.rss[g]));
      processes = s.processes[g];
    }
    auto c = summarize(cores);
    auto r = summarize(rss);
    out[specs[g].label] = {
        {"samples", cores.size()},
        {"cpu_cores",
         {{"mean", c.mean},
          {"p95", c.p95},
          {"max", c.max},
          {"last", cores.empty() ? 0.0 : cores.back()}}},
        {"rss_bytes",
         {{"mean", r.mean},
          {"p95", r.p95},
          {"max", r.max},
          {"last", rss.empty() ? 0.0 : rss.back()}}},
        {"processes_last", processes},
    };
  }
  return out;
}

nlohmann::json Workload::series() const {
  std::lock_guard<std::mutex> lock(sampleMu_);
  nlohmann::json out = nlohmann::json::array();
  const auto& specs = sampler_.specs();
  for (const auto& s : samples_) {
    nlohmann::json groups = nlohmann::json::object();
    for (size_t g = 0; g < specs.size(); ++g) {
      groups[specs[g].label] = {
          {"cpu_cores", s.cores[g]}, {"rss_bytes", s.rss[g]}, {"processes", s.processes[g]}};
    }
    out.push_back({{"t", s.t}, {"phase", s.phase}, {"groups", groups}});
  }
  return out;
}

v1::PodSandboxConfig Workload::podConfig(int index) const {
  v1::PodSandboxConfig config;
  auto* md = config.mutable_metadata();
  md->set_name("lab-" + std::to_string(index));
  md->set_namespace_("dockershim-lab-" + runId_);
  md->set_uid(runId_ + "-" + std::to_string(index));
  md->set_attempt(0);
  config.set_hostname("lab-" + std::to_string(index));
  config.set_log_directory(options_.logRoot + "/" + runId_ + "/" + std::to_string(index));
  (*config.mutable_labels())[kRunLabel] = runId_;
  return config;
}

PodRecord Workload::startPod(int index) {
  PodRecord rec;
  auto config = podConfig(index);
  std::error_code ec;
  std::filesystem::create_directories(config.log_directory(), ec);
  auto t0 = Clock::now();
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = config;
  run.set_runtime_handler(options_.runtimeHandler);
  v1::RunPodSandboxResponse ran;
  if (auto st =
          cri_.timedCall(&v1::RuntimeService::Stub::RunPodSandbox, run, &ran, &rec.runSandbox);
      !st.ok()) {
    rec.error = "RunPodSandbox: " + st.error_message();
    return rec;
  }
  rec.sandboxId = ran.pod_sandbox_id();

  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(rec.sandboxId);
  *create.mutable_sandbox_config() = config;
  auto* c = create.mutable_config();
  c->mutable_metadata()->set_name("app");
  c->mutable_image()->set_image(options_.image);
  for (const auto& arg : options_.command) c->add_command(arg);
  c->set_log_path("app.log");
  (*c->mutable_labels())[kRunLabel] = runId_;
  v1::CreateContainerResponse created;
  if (auto st = cri_.timedCall(&v1::RuntimeService::Stub::CreateContainer, create, &created,
                               &rec.createContainer);
      !st.ok()) {
    rec.error = "CreateContainer: " + st.error_message();
    return rec;
  }
  rec.containerId = created.container_id();

  v1::StartContainerRequest start;
  start.set_container_id(rec.containerId);
  v1::StartContainerResponse started;
  if (auto st = cri_.timedCall(&v1::RuntimeService::Stub::StartContainer, start, &started,
                               &rec.startContainer);
      !st.ok()) {
    rec.error = "StartContainer: " + st.error_message();
    return rec;
  }

  // Observed running, as the kubelet's PLEG would see it (polled; a watch has no CRI call).
  auto t = Clock::now();
  auto giveUp = Clock::now() + std::chrono::minutes(1);
  for (;;) {
    v1::ContainerStatusRequest req;
    req.set_container_id(rec.containerId);
    v1::ContainerStatusResponse resp;
    auto st = cri_.call(&v1::RuntimeService::Stub::ContainerStatus, req, &resp);
    if (st.ok() && resp.status().state() == v1::CONTAINER_RUNNING) break;
    if (st.ok() && resp.status().state() == v1::CONTAINER_EXITED) {
      rec.error = "the container exited (code " + std::to_string(resp.status().exit_code()) + ")";
      return rec;
    }
    if (Clock::now() > giveUp || stopping()) {
      rec.error = st.ok() ? "not running after a minute" : "ContainerStatus: " + st.error_message();
      return rec;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  rec.observedRunning = msSince(t);
  rec.total = msSince(t0);
  return rec;
}

nlohmann::json Workload::startup() {
  setPhase("startup");
  progress_.phase("startup", options_.pods);
  pods_.assign(static_cast<size_t>(options_.pods), PodRecord());
  Result<Samples> metricsBefore = Status(Code::kUnavailable, "no metrics");
  if (!options_.metrics.empty()) metricsBefore = scrapeMetrics(options_.metrics);
  auto begin = Clock::now();
  forEachParallel(options_.pods, options_.parallel, [&](int i) {
    if (stopping()) return;
    auto notBefore = begin + options_.interval * i;
    while (Clock::now() < notBefore && !stopping()) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(std::chrono::milliseconds(50), notBefore - Clock::now()));
    }
    if (stopping()) return;
    pods_[static_cast<size_t>(i)] = startPod(i);
    progress_.advance();
  });
  double wall = msSince(begin) / 1000;
  std::vector<double> total, run, create, start, observed;
  nlohmann::json errors = nlohmann::json::array();
  int ok = 0;
  for (const auto& p : pods_) {
    if (p.total >= 0) {
      ++ok;
      total.push_back(p.total);
      run.push_back(p.runSandbox);
      create.push_back(p.createContainer);
      start.push_back(p.startContainer);
      observed.push_back(p.observedRunning);
    } else if (!p.error.empty()) {
      errors.push_back(p.error);
    }
  }
  nlohmann::json out = {
      {"pods", options_.pods},
      {"running", ok},
      {"wall_s", wall},
      {"throughput_pods_per_min", wall > 0 ? ok / wall * 60 : 0},
      {"latency_ms", toJson(summarize(total))},
      {"phases_ms",
       {{"run_sandbox", toJson(summarize(run))},
        {"create_container", toJson(summarize(create))},
        {"start_container", toJson(summarize(start))},
        {"observed_running", toJson(summarize(observed))}}},
      {"errors", errors},
      {"groups", groupsDuring("startup")},
  };
  if (metricsBefore) {
    if (auto after = scrapeMetrics(options_.metrics); after) {
      out["share_ms"] = startupShare(*metricsBefore, *after);
    }
  }
  return out;
}

nlohmann::json startupShare(const Samples& before, const Samples& after) {
  auto delta = [&](std::string_view metric, const std::string& labels) {
    return sumOf(after, metric, labels) - sumOf(before, metric, labels);
  };
  nlohmann::json out = nlohmann::json::object();
  double perPod[3] = {0, 0, 0};  // dockershim, docker, network: summed over the three calls
  for (const char* method : {"RunPodSandbox", "CreateContainer", "StartContainer"}) {
    std::string labels = std::string("method=\"") + method + "\"";
    double n = delta("dockershim_cri_requests_total", labels);
    if (n <= 0) continue;
    double total = delta("dockershim_cri_request_duration_seconds_sum", labels) * 1000 / n;
    double docker = delta("dockershim_cri_request_docker_seconds_total", labels) * 1000 / n;
    double network = delta("dockershim_cri_request_network_seconds_total", labels) * 1000 / n;
    double own = total - docker - network;
    out[method] = {{"calls", n},
                   {"mean", total},
                   {"docker", docker},
                   {"network", network},
                   {"dockershim", own}};
    perPod[0] += own;
    perPod[1] += docker;
    perPod[2] += network;
  }
  out["per_pod"] = {{"dockershim", perPod[0]}, {"docker", perPod[1]}, {"network", perPod[2]}};
  return out;
}

nlohmann::json Workload::teardown() {
  setPhase("teardown");
  progress_.phase("teardown", static_cast<int>(pods_.size()));
  auto begin = Clock::now();
  std::mutex mu;
  nlohmann::json errors = nlohmann::json::array();
  std::vector<double> perPod(pods_.size(), -1);
  // Never cut short by Ctrl-C: this is the cleanup.
  forEachParallel(static_cast<int>(pods_.size()), options_.parallel, [&](int i) {
    const auto& p = pods_[static_cast<size_t>(i)];
    progress_.advance();
    if (p.sandboxId.empty()) return;
    auto t = Clock::now();
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(p.sandboxId);
    v1::StopPodSandboxResponse stopped;
    auto st = cri_.call(&v1::RuntimeService::Stub::StopPodSandbox, stop, &stopped);
    if (st.ok()) {
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(p.sandboxId);
      v1::RemovePodSandboxResponse removed;
      st = cri_.call(&v1::RuntimeService::Stub::RemovePodSandbox, rm, &removed);
    }
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      errors.push_back("pod " + p.sandboxId + ": " + st.error_message());
      return;
    }
    perPod[static_cast<size_t>(i)] = msSince(t);
  });
  double wall = msSince(begin) / 1000;
  std::vector<double> done;
  for (double v : perPod) {
    if (v >= 0) done.push_back(v);
  }
  std::error_code ec;
  std::filesystem::remove_all(options_.logRoot + "/" + runId_, ec);
  return {{"wall_s", wall},
          {"pod_ms", toJson(summarize(done))},
          {"errors", errors},
          {"groups", groupsDuring("teardown")}};
}

nlohmann::json Workload::leftovers() {
  v1::ListPodSandboxRequest pods;
  (*pods.mutable_filter()->mutable_label_selector())[kRunLabel] = runId_;
  v1::ListPodSandboxResponse podList;
  auto st1 = cri_.call(&v1::RuntimeService::Stub::ListPodSandbox, pods, &podList);
  v1::ListContainersRequest containers;
  (*containers.mutable_filter()->mutable_label_selector())[kRunLabel] = runId_;
  v1::ListContainersResponse containerList;
  auto st2 = cri_.call(&v1::RuntimeService::Stub::ListContainers, containers, &containerList);
  nlohmann::json out = {
      {"sandboxes", st1.ok() ? podList.items_size() : -1},
      {"containers", st2.ok() ? containerList.containers_size() : -1},
  };
  // Processes of each group before the run and now (shims of removed pods exit on their own:
  // a short wait for them).
  nlohmann::json processes = nlohmann::json::object();
  auto wait = Clock::now() + std::chrono::seconds(10);
  std::vector<GroupReading> now;
  for (;;) {
    now = sampler_.read();
    bool settled = true;
    for (size_t g = 0; g < now.size() && g < processesBefore_.size(); ++g) {
      if (now[g].processes() > processesBefore_[g]) settled = false;
    }
    if (settled || Clock::now() > wait) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (size_t g = 0; g < now.size() && g < processesBefore_.size(); ++g) {
    processes[now[g].label] = {{"before", processesBefore_[g]}, {"after", now[g].processes()}};
  }
  out["processes"] = processes;
  bool clean =
      st1.ok() && st2.ok() && podList.items_size() == 0 && containerList.containers_size() == 0;
  for (size_t g = 0; g < now.size() && g < processesBefore_.size(); ++g) {
    if (now[g].processes() > processesBefore_[g]) clean = false;
  }
  out["clean"] = clean;
  return out;
}

nlohmann::json Workload::run() {
  nlohmann::json out;
  v1::VersionRequest vreq;
  v1::VersionResponse version;
  if (auto st = cri_.call(&v1::RuntimeService::Stub::Version, vreq, &version); !st.ok()) {
    return {{"error", "Version: " + st.error_message()}};
  }
  out["endpoint"] = cri_.endpoint();
  out["runtime"] = {{"name", version.runtime_name()},
                    {"version", version.runtime_version()},
                    {"api_version", version.runtime_api_version()}};
  out["run_id"] = runId_;
  out["options"] = {{"pods", options_.pods},
                    {"parallel", options_.parallel},
                    {"interval_ms", options_.interval.count()},
                    {"image", options_.image},
                    {"steady_s", std::chrono::duration<double>(options_.steady).count()},
                    {"reps", options_.reps},
                    {"metrics", options_.metrics}};
  startSampling();
  out["startup"] = startup();
  if (!stopping()) out["steady"] = steadyState();
  if (!stopping()) out["per_call"] = perCall();
  out["teardown"] = teardown();
  stopSampling();
  out["leftovers"] = leftovers();
  out["series"] = series();
  out["interrupted"] = stopping();
  progress_.finish();
  return out;
}

}  // namespace dockershim::lab
