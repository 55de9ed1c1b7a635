#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <iostream>

#include "e2e/testbed.h"

namespace {

// A failed test case prints what the daemons said, so a CI log explains the failure.
struct FailureLogs : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    if (!stats.totals.assertions.allPassed() && dockershim::e2e::TestBed::started()) {
      std::cerr << dockershim::e2e::TestBed::get().logTails();
    }
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(FailureLogs)
