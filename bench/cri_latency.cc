// Latency of the foundation's CRI calls against any CRI endpoint. Prints numbers; passes or
// fails nothing. Usage: cri_latency [--endpoint unix:///var/run/dockershim.sock] [--n 2000]
//                                    [--image busybox] [--threads 1]
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lab_stats.h"
#include "translate/cri_api.h"

namespace v1 = runtime::v1;
using Clock = std::chrono::steady_clock;

namespace {

struct Sample {
  std::string rpc;
  std::vector<double> micros;
  int errors = 0;
};

using dockershim::lab::percentile;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CRI call latency"};
  std::string endpoint = "unix:///var/run/dockershim.sock";
  int n = 2000;
  int threads = 1;
  std::string image = "busybox";
  app.add_option("--endpoint", endpoint);
  app.add_option("--n", n, "calls per RPC per thread");
  app.add_option("--threads", threads);
  app.add_option("--image", image, "image for ImageStatus");
  CLI11_PARSE(app, argc, argv);
  if (endpoint.rfind("unix://", 0) == 0) endpoint = "unix:" + endpoint.substr(7);

  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  auto rt = v1::RuntimeService::NewStub(channel);
  auto img = v1::ImageService::NewStub(channel);

  std::vector<std::pair<std::string, std::function<grpc::Status()>>> calls = {
      {"Version",
       [&] {
         grpc::ClientContext c;
         v1::VersionResponse r;
         return rt->Version(&c, v1::VersionRequest(), &r);
       }},
      {"Status",
       [&] {
         grpc::ClientContext c;
         v1::StatusResponse r;
         return rt->Status(&c, v1::StatusRequest(), &r);
       }},
      {"ImageStatus",
       [&] {
         grpc::ClientContext c;
         v1::ImageStatusRequest q;
         q.mutable_image()->set_image(image);
         v1::ImageStatusResponse r;
         return img->ImageStatus(&c, q, &r);
       }},
      {"ListImages",
       [&] {
         grpc::ClientContext c;
         v1::ListImagesResponse r;
         return img->ListImages(&c, v1::ListImagesRequest(), &r);
       }},
      {"ImageFsInfo",
       [&] {
         grpc::ClientContext c;
         v1::ImageFsInfoResponse r;
         return img->ImageFsInfo(&c, v1::ImageFsInfoRequest(), &r);
       }},
  };

  std::printf("endpoint %s, %d calls x %d threads per RPC\n", endpoint.c_str(), n, threads);
  std::printf("%-14s %10s %10s %10s %10s %8s %10s\n", "rpc", "p50 us", "p90 us", "p99 us", "max us",
              "errors", "calls/s");
  for (auto& [name, fn] : calls) {
    for (int i = 0; i < 20; ++i) fn();  // warm the connection and caches
    std::vector<Sample> perThread(threads);
    auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        auto& s = perThread[t];
        s.micros.reserve(n);
        for (int i = 0; i < n; ++i) {
          auto t0 = Clock::now();
          auto st = fn();
          s.micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
          if (!st.ok()) s.errors++;
        }
      });
    }
    for (auto& w : workers) w.join();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    int errors = 0;
    for (auto& s : perThread) {
      all.insert(all.end(), s.micros.begin(), s.micros.end());
      errors += s.errors;
    }
    std::printf("%-14s %10.0f %10.0f %10.0f %10.0f %8d %10.0f\n", name.c_str(),
                percentile(all, 0.5), percentile(all, 0.9), percentile(all, 0.99),
                percentile(all, 1.0), errors, static_cast<double>(all.size()) / seconds);
  }
  return 0;
}
