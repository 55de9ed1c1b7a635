#include "cri/exec_output.h"

#include <catch2/catch.hpp>
#include <string>

namespace dockershim::cri {
namespace {

std::string filled(std::size_t n, char c) { return std::string(n, c); }

TEST_CASE("ExecOutput keeps small output as it is", "[exec]") {
  ExecOutput o;
  o.addStdout("hello ");
  o.addStdout("world\n");
  o.addStderr("oops\n");
  std::string out, err;
  o.finish(&out, &err);
  CHECK(out == "hello world\n");
  CHECK(err == "oops\n");
  CHECK_FALSE(o.truncated());
}

TEST_CASE("ExecOutput stops reading a stream at 16 MiB", "[exec]") {
  ExecOutput o;
  const std::string chunk = filled(1 << 20, 'a');
  for (int i = 0; i < 20; ++i) o.addStdout(chunk);
  CHECK(o.truncated());
  std::string out, err;
  o.finish(&out, &err);
  CHECK(err.empty());
  // The whole response fits the kubelet's 16 MiB message, with the marker at the end.
  CHECK(out.size() + err.size() <= ExecOutput::kResponseCap);
  CHECK(out.size() > (16u << 20) - 4096);
  CHECK(out.substr(out.size() - ExecOutput::kMarker.size()) == ExecOutput::kMarker);
  CHECK(out.find_first_not_of('a') == out.size() - ExecOutput::kMarker.size());
}

TEST_CASE("ExecOutput shares the message between two large streams", "[exec]") {
  SECTION("small stderr is kept whole") {
    ExecOutput o;
    o.addStdout(filled(16u << 20, 'o'));
    o.addStderr("the reason it failed\n");
    std::string out, err;
    o.finish(&out, &err);
    CHECK(err == "the reason it failed\n");
    CHECK(out.size() + err.size() <= ExecOutput::kResponseCap);
    CHECK(out.find("truncated") != std::string::npos);
  }
  SECTION("small stdout is kept whole") {
    ExecOutput o;
    o.addStdout("ok\n");
    o.addStderr(filled(16u << 20, 'e'));
    std::string out, err;
    o.finish(&out, &err);
    CHECK(out == "ok\n");
    CHECK(out.size() + err.size() <= ExecOutput::kResponseCap);
    CHECK(err.find("truncated") != std::string::npos);
  }
  SECTION("both large: half each") {
    ExecOutput o;
    o.addStdout(filled(12u << 20, 'o'));
    o.addStderr(filled(12u << 20, 'e'));
    std::string out, err;
    o.finish(&out, &err);
    CHECK(out.size() + err.size() <= ExecOutput::kResponseCap);
    CHECK(out.size() > (8u << 20) - 4096);
    CHECK(err.size() > (8u << 20) - 4096);
    CHECK(out.find("truncated") != std::string::npos);
    CHECK(err.find("truncated") != std::string::npos);
  }
  SECTION("exactly at the limit nothing is cut") {
    ExecOutput o;
    const std::size_t budget = ExecOutput::kResponseCap - 2 * ExecOutput::kMarker.size();
    o.addStdout(filled(budget - 10, 'o'));
    o.addStderr(filled(10, 'e'));
    std::string out, err;
    o.finish(&out, &err);
    CHECK(out.size() == budget - 10);
    CHECK(err.size() == 10);
    CHECK_FALSE(o.truncated());
  }
}

}  // namespace
}  // namespace dockershim::cri
