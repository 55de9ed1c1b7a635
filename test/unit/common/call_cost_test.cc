#include "common/call_cost.h"

#include <catch2/catch.hpp>
#include <thread>

namespace dockershim::common {
namespace {

TEST_CASE("call cost: each thread adds to its own current call", "[common]") {
  CHECK(currentCallCost() == nullptr);
  CallCost outer;
  {
    CallCostScope scope(outer);
    REQUIRE(currentCallCost() == &outer);
    currentCallCost()->dockerSeconds += 0.5;
    CallCost inner;
    {
      CallCostScope nested(inner);
      currentCallCost()->networkSeconds += 0.25;
    }
    CHECK(currentCallCost() == &outer);
    CHECK(inner.networkSeconds == 0.25);
    // Another thread has no call of its own.
    bool otherHasNone = false;
    std::thread([&] { otherHasNone = currentCallCost() == nullptr; }).join();
    CHECK(otherHasNone);
  }
  CHECK(currentCallCost() == nullptr);
  CHECK(outer.dockerSeconds == 0.5);
  CHECK(outer.networkSeconds == 0);
}

}  // namespace
}  // namespace dockershim::common
