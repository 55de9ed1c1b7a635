// Latency of the calls the kubelet makes most (ListContainerStats, ListPodSandboxStats,
// ListContainers, ContainerStatus, PodSandboxStatus) at growing container counts, and how many
// Docker requests each call costs (read from dockershim's metrics endpoint). Prints numbers;
// passes or fails nothing. Creates pods of 5 containers running the sandbox image (present on
// every dockershim node, no pull) and removes them at the end.
//
//   stats_scale --endpoint unix:///var/run/dockershim.sock --metrics 127.0.0.1:10260 \
//               --counts 10,105,250 --n 200
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "lab_stats.h"
#include "metrics_scrape.h"
#include "translate/cri_api.h"

namespace v1 = runtime::v1;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kContainersPerPod = 5;

using dockershim::lab::percentile;

// Sum of dockershim_docker_operations_total over every operation (-1 when no metrics).
double dockerRequests(const std::string& hostPort) {
  if (hostPort.empty()) return -1;
  auto samples = dockershim::lab::scrapeMetrics(hostPort);
  if (!samples) return -1;
  return dockershim::lab::sumOf(*samples, "dockershim_docker_operations_total");
}

struct Bed {
  std::unique_ptr<v1::RuntimeService::Stub> rt;
  std::string image;
  std::vector<std::string> pods, containers;

  bool addPod(int index) {
    v1::PodSandboxConfig config;
    auto* md = config.mutable_metadata();
    md->set_name("bench-" + std::to_string(::getpid()) + "-" + std::to_string(index));
    md->set_namespace_("bench");
    md->set_uid("bench-uid-" + std::to_string(::getpid()) + "-" + std::to_string(index));
    config.set_log_directory("/tmp");
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = config;
    v1::RunPodSandboxResponse ran;
    grpc::ClientContext c1;
    if (auto s = rt->RunPodSandbox(&c1, run, &ran); !s.ok()) {
      std::fprintf(stderr, "RunPodSandbox: %s\n", s.error_message().c_str());
      return false;
    }
    pods.push_back(ran.pod_sandbox_id());
    for (int i = 0; i < kContainersPerPod; ++i) {
      v1::CreateContainerRequest create;
      create.set_pod_sandbox_id(ran.pod_sandbox_id());
      *create.mutable_sandbox_config() = config;
      create.mutable_config()->mutable_metadata()->set_name("c" + std::to_string(i));
      create.mutable_config()->mutable_image()->set_image(image);
      create.mutable_config()->set_log_path("bench-" + std::to_string(i) + ".log");
      v1::CreateContainerResponse created;
      grpc::ClientContext c2;
      if (auto s = rt->CreateContainer(&c2, create, &created); !s.ok()) {
        std::fprintf(stderr, "CreateContainer: %s\n", s.error_message().c_str());
        return false;
      }
      v1::StartContainerRequest start;
      start.set_container_id(created.container_id());
      v1::StartContainerResponse started;
      grpc::ClientContext c3;
      if (auto s = rt->StartContainer(&c3, start, &started); !s.ok()) {
        std::fprintf(stderr, "StartContainer: %s\n", s.error_message().c_str());
        return false;
      }
      containers.push_back(created.container_id());
    }
    return true;
  }

  void removeAll() {
    for (const auto& id : pods) {
      v1::StopPodSandboxRequest stop;
      stop.set_pod_sandbox_id(id);
      v1::StopPodSandboxResponse stopped;
      grpc::ClientContext c1;
      rt->StopPodSandbox(&c1, stop, &stopped);
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(id);
      v1::RemovePodSandboxResponse removed;
      grpc::ClientContext c2;
      rt->RemovePodSandbox(&c2, rm, &removed);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CRI list/status/stats latency at scale"};
  std::string endpoint = "unix:///var/run/dockershim.sock";
  std::string metrics = "127.0.0.1:10260";
  std::string image = "dockershim.invalid/pause:1.0";
  std::vector<int> counts = {10, 105, 250};
  int n = 200;
  app.add_option("--endpoint", endpoint);
  app.add_option("--metrics", metrics, "dockershim's metrics host:port (empty: no request counts)");
  app.add_option("--image", image, "container image (default: the sandbox image)");
  app.add_option("--counts", counts, "container counts to measure at")->delimiter(',');
  app.add_option("--n", n, "calls per RPC at each count");
  CLI11_PARSE(app, argc, argv);
  if (endpoint.rfind("unix://", 0) == 0) endpoint = "unix:" + endpoint.substr(7);

  Bed bed;
  bed.rt = v1::RuntimeService::NewStub(
      grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  bed.image = image;

  std::printf("endpoint %s, %d calls per RPC; docker/call = Docker requests per call\n",
              endpoint.c_str(), n);
  std::printf("%10s %-20s %10s %10s %10s %12s\n", "containers", "rpc", "p50 us", "p99 us",
              "mean us", "docker/call");
  int podIndex = 0;
  for (int target : counts) {
    while (static_cast<int>(bed.containers.size()) < target) {
      if (!bed.addPod(podIndex++)) {
        bed.removeAll();
        return 1;
      }
    }
    int count = static_cast<int>(bed.containers.size());
    size_t next = 0;
    std::vector<std::pair<std::string, std::function<grpc::Status()>>> calls = {
        {"ListContainerStats",
         [&] {
           grpc::ClientContext c;
           v1::ListContainerStatsResponse r;
           return bed.rt->ListContainerStats(&c, v1::ListContainerStatsRequest(), &r);
         }},
        {"ListPodSandboxStats",
         [&] {
           grpc::ClientContext c;
           v1::ListPodSandboxStatsResponse r;
           return bed.rt->ListPodSandboxStats(&c, v1::ListPodSandboxStatsRequest(), &r);
         }},
        {"ListContainers",
         [&] {
           grpc::ClientContext c;
           v1::ListContainersResponse r;
           return bed.rt->ListContainers(&c, v1::ListContainersRequest(), &r);
         }},
        {"ListPodSandbox",
         [&] {
           grpc::ClientContext c;
           v1::ListPodSandboxResponse r;
           return bed.rt->ListPodSandbox(&c, v1::ListPodSandboxRequest(), &r);
         }},
        {"ContainerStatus",
         [&] {
           grpc::ClientContext c;
           v1::ContainerStatusRequest q;
           q.set_container_id(bed.containers[next++ % bed.containers.size()]);
           v1::ContainerStatusResponse r;
           return bed.rt->ContainerStatus(&c, q, &r);
         }},
        {"PodSandboxStatus",
         [&] {
           grpc::ClientContext c;
           v1::PodSandboxStatusRequest q;
           q.set_pod_sandbox_id(bed.pods[next++ % bed.pods.size()]);
           v1::PodSandboxStatusResponse r;
           return bed.rt->PodSandboxStatus(&c, q, &r);
         }},
    };
    for (auto& [name, fn] : calls) {
      for (int i = 0; i < 3; ++i) fn();  // warm: first-time pid lookups, layer sizes
      double before = dockerRequests(metrics);
      std::vector<double> micros;
      int errors = 0;
      for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        if (!fn().ok()) ++errors;
        micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      double after = dockerRequests(metrics);
      double mean = 0;
      for (double m : micros) mean += m;
      mean /= static_cast<double>(micros.size());
      char perCall[32] = "n/a";
      if (before >= 0 && after >= 0) {
        std::snprintf(perCall, sizeof perCall, "%.2f", (after - before) / n);
      }
      std::printf("%10d %-20s %10.0f %10.0f %10.0f %12s%s\n", count, name.c_str(),
                  percentile(micros, 0.5), percentile(micros, 0.99), mean, perCall,
                  errors ? (" errors " + std::to_string(errors)).c_str() : "");
      std::fflush(stdout);
    }
  }
  bed.removeAll();
  return 0;
}
