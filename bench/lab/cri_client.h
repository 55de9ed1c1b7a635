#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "translate/cri_api.h"

// A CRI client of the lab: the project's own generated stubs, each call bounded.
namespace dockershim::lab {

namespace v1 = runtime::v1;

class CriClient {
 public:
  // `endpoint`: "unix:///run/x.sock" (or "unix:/run/x.sock", or a plain socket path).
  explicit CriClient(const std::string& endpoint,
                     std::chrono::milliseconds timeout = std::chrono::minutes(2));

  const std::string& endpoint() const { return endpoint_; }

  // rpc(&v1::RuntimeService::Stub::ListContainers, req, &resp)
  template <class Stub, class Req, class Resp>
  grpc::Status call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) const {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    return (stub<Stub>().*method)(&ctx, req, resp);
  }

  // call(), also storing the client-seen time in ms in `*ms`.
  template <class Stub, class Req, class Resp>
  grpc::Status timedCall(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                         const Req& req, Resp* resp, double* ms) const {
    auto t = std::chrono::steady_clock::now();
    grpc::Status st = call(method, req, resp);
    *ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    return st;
  }

  v1::RuntimeService::Stub& runtime() const { return *runtime_; }
  v1::ImageService::Stub& images() const { return *images_; }

 private:
  template <class Stub>
  Stub& stub() const {
    if constexpr (std::is_same_v<Stub, v1::RuntimeService::Stub>) {
      return *runtime_;
    } else {
      return *images_;
    }
  }

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};

// "unix:///a" → "unix:///a"; "/a" → "unix:///a".
std::string grpcTarget(const std::string& endpoint);

}  // namespace dockershim::lab
