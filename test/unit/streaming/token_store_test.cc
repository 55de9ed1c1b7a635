#include "streaming/token_store.h"

#include <catch2/catch.hpp>
#include <set>

namespace dockershim::streaming {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  Clock::time_point t{};
  TokenStore::Now fn() {
    return [this] { return t; };
  }
};

PendingRequest execOf(const std::string& id) {
  PendingRequest r;
  r.kind = RequestKind::kExec;
  r.exec.containerId = id;
  r.exec.cmd = {"sh"};
  return r;
}

TEST_CASE("tokens are random, URL-safe and unique", "[streaming][tokens]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto t = randomToken();
    CHECK(t.size() == 22);
    CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    seen.insert(t);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("a token is good for one connection", "[streaming][tokens]") {
  FakeClock clock;
  TokenStore store(10, 1min, clock.fn());
  auto token = store.insert(execOf("c1"));
  REQUIRE(token);
  auto got = store.consume(*token);
  REQUIRE(got);
  CHECK(got->exec.containerId == "c1");
  CHECK(got->exec.cmd == std::vector<std::string>{"sh"});
  CHECK_FALSE(store.consume(*token));
  CHECK_FALSE(store.consume("not-a-token"));
  CHECK_FALSE(store.consume(""));
}

TEST_CASE("a token expires after its time to live", "[streaming][tokens]") {
  FakeClock clock;
  TokenStore store(10, 1min, clock.fn());
  auto early = store.insert(execOf("a"));
  auto late = store.insert(execOf("b"));
  REQUIRE(early);
  REQUIRE(late);
  clock.t += 59s;
  CHECK(store.consume(*early));
  clock.t += 1s;
  CHECK_FALSE(store.consume(*late));
  CHECK(store.pending() == 0);
}

TEST_CASE("pending tokens are bounded; expired ones make room", "[streaming][tokens]") {
  FakeClock clock;
  TokenStore store(3, 1min, clock.fn());
  for (int i = 0; i < 3; ++i) REQUIRE(store.insert(execOf("c")));
  auto full = store.insert(execOf("c"));
  REQUIRE_FALSE(full);
  CHECK(full.status().code() == Code::kResourceExhausted);
  clock.t += 2min;
  CHECK(store.insert(execOf("c")));
  CHECK(store.pending() == 1);
}

}  // namespace
}  // namespace dockershim::streaming
