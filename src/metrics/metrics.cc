#include "metrics/metrics.h"

#include <dirent.h>
#include <malloc.h>
#include <prometheus/text_serializer.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "stats/proc_stat.h"

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer's allocator statistics, exported by its runtime (GCC ships no header for
// them).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" size_t __sanitizer_get_free_bytes();
#endif

namespace dockershim::metrics {

namespace {

// 0.5 ms to 2 min: CRI reads answer in well under a millisecond from memory, pulls take
// minutes.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

int countOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  int n = 0;
  while (auto* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // not the one opendir holds
}

// This process's start in Unix seconds: its start in clock ticks after boot (field 22 of
// /proc/self/stat) plus the boot time (btime of /proc/stat).
double processStartTime() {
  std::ifstream statFile("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  // Fields after comm start at 3 (state); starttime is field 22.
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  double ticks = std::strtod(field.c_str(), nullptr);
  std::ifstream procStat("/proc/stat");
  std::string key;
  double btime = 0;
  while (procStat >> key) {
    if (key == "btime") {
      procStat >> btime;
      break;
    }
  }
  return btime + ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

std::string_view codeLabel(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kCancelled:
      return "Canceled";
    case Code::kUnknown:
      return "Unknown";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kDeadlineExceeded:
      return "DeadlineExceeded";
    case Code::kNotFound:
      return "NotFound";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kPermissionDenied:
      return "PermissionDenied";
    case Code::kResourceExhausted:
      return "ResourceExhausted";
    case Code::kFailedPrecondition:
      return "FailedPrecondition";
    case Code::kAborted:
      return "Aborted";
    case Code::kOutOfRange:
      return "OutOfRange";
    case Code::kUnimplemented:
      return "Unimplemented";
    case Code::kInternal:
      return "Internal";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kDataLoss:
      return "DataLoss";
    case Code::kUnauthenticated:
      return "Unauthenticated";
  }
  return "Unknown";
}

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      rpcTotal_(prometheus::BuildCounter()
                    .Name("dockershim_cri_requests_total")
                    .Help("CRI calls handled, by method")
                    .Register(*registry_)),
      rpcErrors_(prometheus::BuildCounter()
                     .Name("dockershim_cri_request_errors_total")
                     .Help("CRI calls that failed, by method and gRPC code")
                     .Register(*registry_)),
      rpcDuration_(prometheus::BuildHistogram()
                       .Name("dockershim_cri_request_duration_seconds")
                       .Help("Latency of CRI calls, by method")
                       .Register(*registry_)),
      rpcDocker_(prometheus::BuildCounter()
                     .Name("dockershim_cri_request_docker_seconds_total")
                     .Help("Time CRI calls spent waiting on Docker's API, by method")
                     .Register(*registry_)),
      rpcNetwork_(prometheus::BuildCounter()
                      .Name("dockershim_cri_request_network_seconds_total")
                      .Help("Time CRI calls spent running CNI plugins, by method")
                      .Register(*registry_)),
      dockerTotal_(prometheus::BuildCounter()
                       .Name("dockershim_docker_operations_total")
                       .Help("Docker Engine API requests, by operation")
                       .Register(*registry_)),
      dockerErrors_(prometheus::BuildCounter()
                        .Name("dockershim_docker_operations_errors_total")
                        .Help("Docker Engine API requests that failed, by operation")
                        .Register(*registry_)),
      dockerTimeouts_(prometheus::BuildCounter()
                          .Name("dockershim_docker_operations_timeout_total")
                          .Help("Docker Engine API requests that ran out of time, by operation")
                          .Register(*registry_)),
      dockerDuration_(prometheus::BuildHistogram()
                          .Name("dockershim_docker_operations_duration_seconds")
                          .Help("Latency of Docker Engine API requests, by operation")
                          .Register(*registry_)),
      cniTotal_(prometheus::BuildCounter()
                    .Name("dockershim_network_plugin_operations_total")
                    .Help("CNI operations on pods (set_up_pod, tear_down_pod, check_pod)")
                    .Register(*registry_)),
      cniErrors_(prometheus::BuildCounter()
                     .Name("dockershim_network_plugin_operations_errors_total")
                     .Help("CNI operations on pods that failed")
                     .Register(*registry_)),
      cniDuration_(prometheus::BuildHistogram()
                       .Name("dockershim_network_plugin_operations_duration_seconds")
                       .Help("Latency of CNI operations on pods, all plugins of the network")
                       .Register(*registry_)),
      findings_(prometheus::BuildCounter()
                    .Name("dockershim_migration_findings_total")
                    .Help("Migration findings noted in the node's pods, by kind: what would break "
                          "(docker-socket, …) or change on containerd (dockershim migrate check)")
                    .Register(*registry_)),
      rss_(prometheus::BuildGauge()
               .Name("process_resident_memory_bytes")
               .Help("Resident memory size in bytes")
               .Register(*registry_)
               .Add({})),
      cpuSeconds_(prometheus::BuildCounter()
                      .Name("process_cpu_seconds_total")
                      .Help("Total user and system CPU time spent in seconds")
                      .Register(*registry_)
                      .Add({})),
      openFds_(prometheus::BuildGauge()
                   .Name("process_open_fds")
                   .Help("Number of open file descriptors")
                   .Register(*registry_)
                   .Add({})),
      heap_(prometheus::BuildGauge()
                .Name("dockershim_heap_bytes")
                .Help("malloc's heap: bytes allocated to the daemon (state=\"in_use\") and bytes "
                      "in malloc's free lists (state=\"free\"; whole free pages among them are "
                      "returned to the kernel every 5 s)")
                .Register(*registry_)),
      heapInUse_(heap_.Add({{"state", "in_use"}})),
      heapFree_(heap_.Add({{"state", "free"}})),
      startTime_(prometheus::BuildGauge()
                     .Name("process_start_time_seconds")
                     .Help("Start time of the process since unix epoch in seconds")
                     .Register(*registry_)
                     .Add({})) {
  prometheus::BuildGauge()
      .Name("dockershim_build_info")
      .Help("dockershim's version")
      .Register(*registry_)
      .Add({{"version", version}})
      .Set(1);
  startTime_.Set(processStartTime());
}

Metrics::Operation& Metrics::operation(std::map<std::string, Operation, std::less<>>& cache,
                                       const std::string& labelName, std::string_view name,
                                       prometheus::Family<prometheus::Counter>& total,
                                       prometheus::Family<prometheus::Counter>* timeouts,
                                       prometheus::Family<prometheus::Histogram>& duration) {
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  prometheus::Labels labels{{labelName, std::string(name)}};
  Operation op{&total.Add(labels), nullptr, timeouts ? &timeouts->Add(labels) : nullptr,
               &duration.Add(labels, kLatencyBuckets)};
  return cache.emplace(std::string(name), op).first->second;
}

void Metrics::observeRpc(std::string_view method, Code code, double seconds, double dockerSeconds,
                         double networkSeconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& op = operation(rpcs_, "method", method, rpcTotal_, nullptr, rpcDuration_);
  op.total->Increment();
  op.duration->Observe(seconds);
  auto cost = rpcCosts_.find(method);
  if (cost == rpcCosts_.end()) {
    prometheus::Labels labels{{"method", std::string(method)}};
    cost = rpcCosts_
               .emplace(std::string(method),
                        std::make_pair(&rpcDocker_.Add(labels), &rpcNetwork_.Add(labels)))
               .first;
  }
  cost->second.first->Increment(dockerSeconds);
  cost->second.second->Increment(networkSeconds);
  if (code == Code::kOk) return;
  std::string key = std::string(method) + "\n" + std::string(codeLabel(code));
  auto it = rpcErrorsByCode_.find(key);
  if (it == rpcErrorsByCode_.end()) {
    auto* counter =
        &rpcErrors_.Add({{"method", std::string(method)}, {"code", std::string(codeLabel(code))}});
    it = rpcErrorsByCode_.emplace(key, counter).first;
  }
  it->second->Increment();
}

void Metrics::observeDocker(const std::string& operationType, const Status& status,
                            double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& op = operation(dockerOps_, "operation_type", operationType, dockerTotal_, &dockerTimeouts_,
                       dockerDuration_);
  if (!op.errors) op.errors = &dockerErrors_.Add({{"operation_type", operationType}});
  op.total->Increment();
  op.duration->Observe(seconds);
  if (!status.isOk()) op.errors->Increment();
  if (status.code() == Code::kDeadlineExceeded) op.timeouts->Increment();
}

void Metrics::declareFindingKinds(const std::vector<std::string>& kinds) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& kind : kinds) {
    if (findingsByKind_.find(kind) == findingsByKind_.end()) {
      findingsByKind_[kind] = &findings_.Add({{"kind", kind}});
    }
  }
}

void Metrics::observeFinding(const std::string& kind) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = findingsByKind_.find(kind);
  if (it == findingsByKind_.end()) {
    it = findingsByKind_.emplace(kind, &findings_.Add({{"kind", kind}})).first;
  }
  it->second->Increment();
}

void Metrics::observeNetworkPlugin(const std::string& operationType, const Status& status,
                                   double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& op = operation(cniOps_, "operation_type", operationType, cniTotal_, nullptr, cniDuration_);
  if (!op.errors) op.errors = &cniErrors_.Add({{"operation_type", operationType}});
  op.total->Increment();
  op.duration->Observe(seconds);
  if (!status.isOk()) op.errors->Increment();
}

void Metrics::updateProcess() {
  if (auto usage = stats::readProcessUsage(static_cast<int>(::getpid()))) {
    rss_.Set(static_cast<double>(usage->rssBytes));
  }
  // The kernel's own count to the nanosecond: /proc's is in 10 ms ticks, and a daemon that has
  // served a few calls may not have used one yet.
  timespec used{};
  if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used) == 0) {
    double cpu = static_cast<double>(used.tv_sec) + static_cast<double>(used.tv_nsec) / 1e9;
    if (cpu > cpuSecondsReported_) {
      cpuSeconds_.Increment(cpu - cpuSecondsReported_);
      cpuSecondsReported_ = cpu;
    }
  }
  openFds_.Set(countOpenFds());
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's allocator replaces malloc's arenas (and does not intercept mallinfo2).
  heapInUse_.Set(static_cast<double>(__sanitizer_get_current_allocated_bytes()));
  heapFree_.Set(static_cast<double>(__sanitizer_get_free_bytes()));
#else
  // Walks each arena's bins under its lock: a scrape's cost, not a call's.
  struct mallinfo2 heap = ::mallinfo2();
  heapInUse_.Set(static_cast<double>(heap.uordblks + heap.hblkhd));
  heapFree_.Set(static_cast<double>(heap.fordblks));
#endif
}

std::string Metrics::scrape() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    updateProcess();
  }
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace dockershim::metrics
