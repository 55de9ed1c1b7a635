#include "dockershim/status.h"

#include <catch2/catch.hpp>
#include <string>

namespace dockershim {
namespace {

TEST_CASE("codeName uses gRPC's canonical spelling", "[status]") {
  CHECK(std::string(codeName(Code::kOk)) == "OK");
  CHECK(std::string(codeName(Code::kInvalidArgument)) == "INVALID_ARGUMENT");
  CHECK(std::string(codeName(Code::kResourceExhausted)) == "RESOURCE_EXHAUSTED");
  CHECK(std::string(codeName(Code::kDataLoss)) == "DATA_LOSS");
  CHECK(std::string(codeName(Code::kUnauthenticated)) == "UNAUTHENTICATED");
  CHECK(std::string(codeName(static_cast<Code>(99))) == "UNKNOWN");
}

TEST_CASE("Status::toString is CODE: message", "[status]") {
  CHECK(Status::ok().toString() == "OK");
  CHECK(Status(Code::kNotFound, "no such image").toString() == "NOT_FOUND: no such image");
  CHECK(Status(Code::kDataLoss, "x").withContext("attach \"abc\"").toString() ==
        "DATA_LOSS: attach \"abc\": x");
}

}  // namespace
}  // namespace dockershim
