#include "network/cni_runner.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "unit/temp_dir.h"

namespace dockershim::network {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Fake plugins: each logs "<name> <CNI_COMMAND>" and saves its stdin; ADD prints a result.
void plugin(test::TempDir& dir, const std::string& name, const std::string& addResult,
            int exitCode = 0) {
  std::string path = dir.file("bin/" + name);
  std::ofstream(path) << "#!/bin/sh\n"
                      << "cat > " << dir.file(name + ".$CNI_COMMAND.stdin") << "\n"
                      << "echo \"" << name << " $CNI_COMMAND $CNI_ARGS\" >> " << dir.file("log")
                      << "\n"
                      << "if [ \"$CNI_COMMAND\" = ADD ]; then printf '%s' '" << addResult
                      << "'; fi\nexit " << exitCode << "\n";
  ::chmod(path.c_str(), 0755);
}

NetworkConfig twoPlugins() {
  auto c = parseConfList(R"({"cniVersion":"1.0.0","name":"net","plugins":[
      {"type":"first"},{"type":"second","capabilities":{"portMappings":true}}]})");
  REQUIRE(c);
  return *c;
}

PodNetwork pod() {
  PodNetwork p;
  p.sandboxId = "abc123";
  p.netnsPath = "/proc/1/ns/net";
  p.pod = {"ns", "name", "uid-1"};
  p.args.portMappings.push_back({8080, 80, "tcp", ""});
  return p;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

const char* kResult1 =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/1/ns/net"}],"ips":[{"address":"10.1.0.5/24","interface":0}]})";
const char* kResult2 =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/1/ns/net"}],"ips":[{"address":"10.1.0.5/24","interface":0}],"dns":{}})";

TEST_CASE("CNI ADD chains the plugins' results; DEL runs them backwards", "[cni_runner]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("bin"));
  plugin(dir, "first", kResult1);
  plugin(dir, "second", kResult2);
  CniRunner runner({dir.file("bin")});
  auto net = twoPlugins();
  auto result = runner.add(net, pod(), Clock::now() + 10s);
  REQUIRE(result);
  CHECK((*result)["dns"].is_object());  // the last plugin's result is the network's
  auto secondIn = nlohmann::json::parse(read(dir.file("second.ADD.stdin")));
  CHECK(secondIn["prevResult"]["ips"][0]["address"] == "10.1.0.5/24");
  CHECK(secondIn["runtimeConfig"]["portMappings"][0]["hostPort"] == 8080);
  auto firstIn = nlohmann::json::parse(read(dir.file("first.ADD.stdin")));
  CHECK_FALSE(firstIn.contains("runtimeConfig"));  // no capability declared
  CHECK(read(dir.file("log")).find("K8S_POD_NAMESPACE=ns") != std::string::npos);

  REQUIRE(runner.del(net, pod(), &*result, Clock::now() + 10s));
  auto log = read(dir.file("log"));
  CHECK(log.find("second DEL") < log.find("first DEL"));
  auto delIn = nlohmann::json::parse(read(dir.file("first.DEL.stdin")));
  CHECK(delIn["prevResult"]["dns"].is_object());
}

TEST_CASE("a failing plugin's error result becomes the status; DEL still asks every plugin",
          "[cni_runner]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("bin"));
  plugin(dir, "first", kResult1);
  plugin(dir, "second", R"({"cniVersion":"1.0.0","code":11,"msg":"no addresses left"})", 1);
  CniRunner runner({dir.file("bin")});
  auto net = twoPlugins();
  auto result = runner.add(net, pod(), Clock::now() + 10s);
  REQUIRE_FALSE(result);
  CHECK(result.status().message().find("no addresses left") != std::string::npos);
  auto st = runner.del(net, pod(), nullptr, Clock::now() + 10s);
  CHECK_FALSE(st);  // the second plugin fails DEL too (exit 1), the first is still asked
  CHECK(read(dir.file("log")).find("first DEL") != std::string::npos);
}

TEST_CASE("a missing plugin or garbage output fails ADD clearly", "[cni_runner]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("bin"));
  plugin(dir, "first", "this is no result");
  CniRunner runner({dir.file("bin")});
  auto net = twoPlugins();
  auto garbage = runner.add(net, pod(), Clock::now() + 10s);
  REQUIRE_FALSE(garbage);
  CHECK(garbage.status().code() == Code::kInvalidArgument);
  plugin(dir, "first", kResult1);
  auto missing = runner.add(net, pod(), Clock::now() + 10s);
  REQUIRE_FALSE(missing);
  CHECK(missing.status().code() == Code::kNotFound);
  CHECK(missing.status().message().find("second") != std::string::npos);
}

}  // namespace
}  // namespace dockershim::network
