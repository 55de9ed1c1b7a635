#pragma once

#include <grpcpp/server_context.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

#include "common/call_cost.h"
#include "cri/cri_service.h"
#include "server/status_map.h"

namespace dockershim::server {

struct CallSettings {
  // --runtime-request-timeout: the bound of a call whose client set a longer one or none.
  std::chrono::milliseconds requestTimeout{std::chrono::minutes(2)};
  // Told of every call once it ended: method, outcome code, seconds, and how much of that was
  // Docker's and the CNI plugins' (the metrics endpoint).
  std::function<void(std::string_view method, Code code, double seconds,
                     const common::CallCost& cost)>
      observe;
};

// The CRI call context for a gRPC call: the client's deadline, bounded by the request timeout.
// PullImage is bounded by its progress deadline instead (kubelet sets no deadline on pulls).
cri::CallContext callContext(const grpc::ServerContext* ctx, const CallSettings& settings,
                             bool longRunning);

// Runs one handler with logging and latency accounting, and maps its Status to gRPC.
template <typename Fn>
grpc::Status runRpc(std::string_view rpc, grpc::ServerContext* ctx, const CallSettings& settings,
                    Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  bool longRunning = rpc == "PullImage";
  Status st;
  common::CallCost cost;
  common::CallCostScope costScope(cost);
  // Last line of defence: no exception may reach gRPC's threads.
  try {
    st = fn(callContext(ctx, settings, longRunning));
  } catch (const std::exception& e) {
    st = Status(Code::kInternal, std::string("unexpected error: ") + e.what());
  } catch (...) {
    st = Status(Code::kInternal, "unexpected error");
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  if (settings.observe) settings.observe(rpc, st.code(), ms.count() / 1e3, cost);
  if (st.isOk()) {
    spdlog::debug("rpc {} ok ({:.1f} ms)", rpc, ms.count());
  } else if (st.code() == Code::kUnimplemented) {
    spdlog::debug("rpc {}: {}", rpc, st.message());
  } else {
    spdlog::warn("rpc {} failed ({:.1f} ms): {}: {}", rpc, ms.count(), codeName(st.code()),
                 st.message());
  }
  return toGrpcStatus(st);
}

}  // namespace dockershim::server
