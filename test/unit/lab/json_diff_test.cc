#include "json_diff.h"

#include <catch2/catch.hpp>

namespace dockershim::lab {
namespace {

TEST_CASE("lab: JSON differences by path", "[lab]") {
  auto a = nlohmann::json::parse(R"({"steps": [{"step": "x", "code": "OK",
      "response": {"state": "RUNNING", "exit_code": 0, "labels": {"a": "1"}}}]})");
  CHECK(jsonDiff(a, a).empty());
  auto b = a;
  b["steps"][0]["response"]["state"] = "EXITED";
  b["steps"][0]["response"]["labels"]["b"] = "2";
  b["steps"][0]["response"]["exit_code"] = 0.0;  // the same number
  auto d = jsonDiff(a, b);
  REQUIRE(d.size() == 2);
  CHECK(d[0].path == "/steps/0/response/labels/b");
  CHECK(d[0].a.is_null());
  CHECK(d[0].b == "2");
  CHECK(d[1].path == "/steps/0/response/state");
  CHECK(d[1].a == "RUNNING");
  CHECK(d[1].b == "EXITED");
  // A step only one side has.
  auto c = a;
  c["steps"].push_back({{"step", "y"}, {"code", "NOT_FOUND"}});
  auto e = jsonDiff(a, c);
  REQUIRE(e.size() == 1);
  CHECK(e[0].path == "/steps/1");
  CHECK(jsonDiff(1, "1").size() == 1);
  CHECK(jsonDiff(nullptr, nullptr).empty());
}

}  // namespace
}  // namespace dockershim::lab
