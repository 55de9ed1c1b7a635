#pragma once

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "e2e/testbed.h"

namespace dockershim::e2e {

namespace v1 = ::runtime::v1;
using namespace std::chrono_literals;

// A fresh client context with a deadline; every e2e call is bounded.
struct Ctx {
  grpc::ClientContext ctx;
  explicit Ctx(std::chrono::milliseconds d = 60s) { withDeadline(ctx, d); }
  grpc::ClientContext* operator&() { return &ctx; }
};

inline std::string describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + ": " + s.error_message();
}

inline v1::ImageStatusResponse imageStatus(Shim& shim, const std::string& image,
                                           bool verbose = false) {
  v1::ImageStatusRequest req;
  req.mutable_image()->set_image(image);
  req.set_verbose(verbose);
  v1::ImageStatusResponse resp;
  Ctx ctx;
  auto s = shim.images->ImageStatus(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return resp;
}

inline std::vector<v1::Image> listImages(Shim& shim, const std::string& filter = "") {
  v1::ListImagesRequest req;
  if (!filter.empty()) req.mutable_filter()->mutable_image()->set_image(filter);
  v1::ListImagesResponse resp;
  Ctx ctx;
  auto s = shim.images->ListImages(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return {resp.images().begin(), resp.images().end()};
}

inline grpc::Status pull(Shim& shim, const std::string& image, const std::string& user,
                         const std::string& password, v1::PullImageResponse* resp,
                         std::chrono::milliseconds deadline = 120s) {
  v1::PullImageRequest req;
  req.mutable_image()->set_image(image);
  if (!user.empty()) req.mutable_auth()->set_username(user);
  if (!password.empty()) req.mutable_auth()->set_password(password);
  Ctx ctx(deadline);
  return shim.images->PullImage(&ctx, req, resp);
}

inline grpc::Status removeImage(Shim& shim, const std::string& image) {
  v1::RemoveImageRequest req;
  req.mutable_image()->set_image(image);
  v1::RemoveImageResponse resp;
  Ctx ctx;
  return shim.images->RemoveImage(&ctx, req, &resp);
}

}  // namespace dockershim::e2e
