#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

// Everything dockershim counts, in one prometheus-cpp registry, served as Prometheus text by
// metrics::HttpServer. Thread-safe: every gRPC thread observes into it.
//
//   dockershim_cri_requests_total{method}                 CRI calls handled
//   dockershim_cri_request_errors_total{method,code}      those that failed, by gRPC code
//   dockershim_cri_request_duration_seconds{method}       their latency (histogram)
//   dockershim_cri_request_docker_seconds_total{method}   of which waiting on Docker's API
//   dockershim_cri_request_network_seconds_total{method}  of which running CNI plugins (the
//                                                         rest is dockershim's own time)
//   dockershim_docker_operations_total{operation_type}    Docker API requests (create_container,
//   dockershim_docker_operations_errors_total{...}          inspect_container, list_containers,
//   dockershim_docker_operations_timeout_total{...}         ... as the kubelet's dockershim named
//   dockershim_docker_operations_duration_seconds{...}      its docker_operations metrics)
//   dockershim_network_plugin_operations_total{operation_type}          CNI set_up_pod,
//   dockershim_network_plugin_operations_errors_total{operation_type}   tear_down_pod,
//   dockershim_network_plugin_operations_duration_seconds{...}          check_pod
//   dockershim_migration_findings_total{kind}           what would break or change on containerd
//   process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds,
//   process_start_time_seconds                            this process, read at each scrape
//   dockershim_build_info{version}                        1
namespace dockershim::metrics {

class Metrics {
 public:
  explicit Metrics(const std::string& version);

  // `dockerSeconds` and `networkSeconds`: how much of the call's `seconds` was spent waiting
  // on Docker and on CNI plugins.
  void observeRpc(std::string_view method, Code code, double seconds, double dockerSeconds = 0,
                  double networkSeconds = 0);
  void observeDocker(const std::string& operation, const Status& status, double seconds);
  void observeNetworkPlugin(const std::string& operation, const Status& status, double seconds);
  // A migration finding of `kind` was noted (migrate/findings.h); `kinds` start at 0.
  void declareFindingKinds(const std::vector<std::string>& kinds);
  void observeFinding(const std::string& kind);

  // The Prometheus text exposition (format 0.0.4), process metrics read now.
  std::string scrape();

 private:
  // One labelled histogram/counter set per name, created on first use and kept (prometheus-cpp's
  // Add builds a metric object on every call even when the labels exist).
  struct Operation {
    prometheus::Counter* total;
    prometheus::Counter* errors;
    prometheus::Counter* timeouts;  // null where not counted
    prometheus::Histogram* duration;
  };
  Operation& operation(std::map<std::string, Operation, std::less<>>& cache,
                       const std::string& labelName, std::string_view name,
                       prometheus::Family<prometheus::Counter>& total,
                       prometheus::Family<prometheus::Counter>* timeouts,
                       prometheus::Family<prometheus::Histogram>& duration);
  void updateProcess();

  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mu_;

  prometheus::Family<prometheus::Counter>& rpcTotal_;
  prometheus::Family<prometheus::Counter>& rpcErrors_;
  prometheus::Family<prometheus::Histogram>& rpcDuration_;
  std::map<std::string, Operation, std::less<>> rpcs_;
  std::map<std::string, prometheus::Counter*, std::less<>> rpcErrorsByCode_;
  prometheus::Family<prometheus::Counter>& rpcDocker_;
  prometheus::Family<prometheus::Counter>& rpcNetwork_;
  // method -> (docker, network) counters
  std::map<std::string, std::pair<prometheus::Counter*, prometheus::Counter*>, std::less<>>
      rpcCosts_;

  prometheus::Family<prometheus::Counter>& dockerTotal_;
  prometheus::Family<prometheus::Counter>& dockerErrors_;
  prometheus::Family<prometheus::Counter>& dockerTimeouts_;
  prometheus::Family<prometheus::Histogram>& dockerDuration_;
  std::map<std::string, Operation, std::less<>> dockerOps_;

  prometheus::Family<prometheus::Counter>& cniTotal_;
  prometheus::Family<prometheus::Counter>& cniErrors_;
  prometheus::Family<prometheus::Histogram>& cniDuration_;
  std::map<std::string, Operation, std::less<>> cniOps_;

  prometheus::Family<prometheus::Counter>& findings_;
  std::map<std::string, prometheus::Counter*, std::less<>> findingsByKind_;

  prometheus::Gauge& rss_;
  prometheus::Counter& cpuSeconds_;
  prometheus::Gauge& openFds_;
  prometheus::Family<prometheus::Gauge>& heap_;
  prometheus::Gauge& heapInUse_;
  prometheus::Gauge& heapFree_;
  prometheus::Gauge& startTime_;
  double cpuSecondsReported_ = 0;
};

// The gRPC code's name as Prometheus label values carry it ("NotFound", as grpc-go's
// grpc_code labels do).
std::string_view codeLabel(Code code);

}  // namespace dockershim::metrics
