#include "network/cni_exec_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "unit/temp_dir.h"

namespace dockershim::network {
namespace {

namespace fs = std::filesystem;

using test::TempDir;
using test::writeFile;

constexpr const char* kSandboxId =
    "5e0e4c1e7a3bfb1c05b6bd2f1ec0a8fc7b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

CniInvocation addInvocation() {
  CniInvocation inv;
  inv.command = "ADD";
  inv.containerId = kSandboxId;
  inv.netnsPath = "/proc/4124/ns/net";
  inv.binDirs = {"/opt/cni/bin", "/usr/lib/cni"};
  inv.pod = {"kube-system", "coredns-5d78c9869d-8x2vq", "0b8a0e9c-3f0e-4c51-9d1e-1a2b3c4d5e6f"};
  return inv;
}

std::vector<std::string> environmentOk(const CniInvocation& inv,
                                       const std::vector<std::string>& inherited = {}) {
  Result<std::vector<std::string>> env = cniEnvironment(inv, inherited);
  INFO(env.status().toString());
  REQUIRE(env.isOk());
  return *env;
}

void checkInvalid(const CniInvocation& inv, const std::string& why) {
  Result<std::vector<std::string>> env = cniEnvironment(inv, {});
  REQUIRE_FALSE(env.isOk());
  CHECK(env.status().code() == Code::kInvalidArgument);
  CHECK_THAT(env.status().message(), Catch::Contains(why));
}

TEST_CASE("cniEnvironment sets the six CNI variables and keeps the rest", "[cni]") {
  const std::vector<std::string> inherited = {
      "PATH=/usr/local/sbin:/usr/sbin:/usr/bin",
      "CNI_ARGS=stale;K8S_POD_NAME=other",
      "HOME=/root",
      "CNI_PATH=/elsewhere",
      "CNI_PATHS=kept",
      "LANG=C.UTF-8",
      "CNI_COMMAND",  // no '=': still one of ours by name
  };
  const std::string args =
      "IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-5d78c9869d-8x2vq;"
      "K8S_POD_INFRA_CONTAINER_ID=" +
      std::string(kSandboxId) + ";K8S_POD_UID=0b8a0e9c-3f0e-4c51-9d1e-1a2b3c4d5e6f";
  CHECK(environmentOk(addInvocation(), inherited) ==
        std::vector<std::string>{
            "CNI_COMMAND=ADD",
            "CNI_CONTAINERID=" + std::string(kSandboxId),
            "CNI_NETNS=/proc/4124/ns/net",
            "CNI_ARGS=" + args,
            "CNI_IFNAME=eth0",
            "CNI_PATH=/opt/cni/bin:/usr/lib/cni",
            "PATH=/usr/local/sbin:/usr/sbin:/usr/bin",
            "HOME=/root",
            "CNI_PATHS=kept",
            "LANG=C.UTF-8",
        });
}

TEST_CASE("cniArgs follows the kubelet's order and defaults the infra id", "[cni]") {
  CniInvocation inv = addInvocation();
  inv.containerId = "abc";
  inv.pod = {"default", "nginx", "u-1"};
  Result<std::string> args = cniArgs(inv);
  REQUIRE(args.isOk());
  CHECK(*args ==
        "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=nginx;"
        "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1");

  inv.infraContainerId = "pause123";
  args = cniArgs(inv);
  REQUIRE(args.isOk());
  CHECK_THAT(*args, Catch::Contains(";K8S_POD_INFRA_CONTAINER_ID=pause123;"));

  // Empty values are carried as such (the pair stays parseable: "K8S_POD_UID=").
  inv.pod.uid.clear();
  args = cniArgs(inv);
  REQUIRE(args.isOk());
  CHECK_THAT(*args, Catch::EndsWith(";K8S_POD_UID="));
}

TEST_CASE("CNI_ARGS values cannot hold ';', '=' or NUL", "[cni]") {
  struct Case {
    void (*mutate)(CniInvocation&);
    std::string key;
  };
  const std::vector<Case> cases = {
      {[](CniInvocation& i) { i.pod.podNamespace = "ns;K8S_POD_NAME=evil"; }, "K8S_POD_NAMESPACE"},
      {[](CniInvocation& i) { i.pod.name = "a=b"; }, "K8S_POD_NAME"},
      {[](CniInvocation& i) { i.pod.uid = std::string("u\0v", 3); }, "K8S_POD_UID"},
      {[](CniInvocation& i) { i.infraContainerId = "x;IP=10.0.0.9"; },
       "K8S_POD_INFRA_CONTAINER_ID"},
  };
  for (const Case& c : cases) {
    CniInvocation inv = addInvocation();
    c.mutate(inv);
    CAPTURE(c.key);
    Result<std::string> args = cniArgs(inv);
    REQUIRE_FALSE(args.isOk());
    CHECK(args.status().code() == Code::kInvalidArgument);
    CHECK_THAT(args.status().message(), Catch::StartsWith("CNI_ARGS: " + c.key + " \""));
    checkInvalid(inv, "CNI_ARGS: " + c.key);
  }
  // A NUL is shown escaped: it would end the message early in a log line.
  CniInvocation inv = addInvocation();
  inv.pod.uid = std::string("u\0v", 3);
  CHECK(cniArgs(inv).status().message() ==
        "CNI_ARGS: K8S_POD_UID \"u\\0v\" holds ';', '=' or NUL, which CNI_ARGS cannot carry");
}

TEST_CASE("cniEnvironment accepts only the spec's commands", "[cni]") {
  for (const char* command : {"ADD", "DEL", "CHECK"}) {
    CniInvocation inv = addInvocation();
    inv.command = command;
    CHECK(environmentOk(inv).front() == std::string("CNI_COMMAND=") + command);
  }
  for (const char* command : {"add", "", "GC", "STATUS", "ADD "}) {
    CniInvocation inv = addInvocation();
    inv.command = command;
    CAPTURE(command);
    checkInvalid(inv, "is not ADD, DEL, CHECK or VERSION");
  }
}

TEST_CASE("cniEnvironment for VERSION carries only the command and CNI_PATH", "[cni]") {
  CniInvocation inv;
  inv.command = "VERSION";
  inv.containerId = "not checked/for VERSION";
  inv.ifName = "";
  inv.pod.name = "a;b";
  inv.binDirs = {"/usr/lib/cni"};
  CHECK(environmentOk(inv, {"PATH=/usr/bin"}) ==
        std::vector<std::string>{"CNI_COMMAND=VERSION", "CNI_CONTAINERID=", "CNI_NETNS=",
                                 "CNI_ARGS=", "CNI_IFNAME=", "CNI_PATH=/usr/lib/cni",
                                 "PATH=/usr/bin"});
}

TEST_CASE("cniEnvironment needs a network namespace for ADD and CHECK, not for DEL", "[cni]") {
  CniInvocation inv = addInvocation();
  inv.netnsPath.clear();
  checkInvalid(inv, "CNI ADD needs a network namespace path");
  inv.command = "CHECK";
  checkInvalid(inv, "CNI CHECK needs a network namespace path");
  inv.command = "DEL";
  const std::vector<std::string> env = environmentOk(inv);
  CHECK(env[2] == "CNI_NETNS=");

  inv.netnsPath = std::string("/proc/1\0/ns/net", 15);
  checkInvalid(inv, "network namespace path holds NUL");
}

TEST_CASE("cniEnvironment checks the container id as the spec defines it", "[cni]") {
  for (const std::string id : {"a", "0", "abc_1.2-3", "Pod.Sandbox-1_x", kSandboxId}) {
    CniInvocation inv = addInvocation();
    inv.containerId = id;
    CHECK(environmentOk(inv)[1] == "CNI_CONTAINERID=" + id);
  }
  for (const std::string id : {"", "-abc", "_abc", ".abc", "abc/def", "abc def", "abc;d", "é"}) {
    CniInvocation inv = addInvocation();
    inv.containerId = id;
    CAPTURE(id);
    checkInvalid(inv, "CNI container id");
  }
}

TEST_CASE("cniEnvironment checks the interface name as the spec defines it", "[cni]") {
  const std::vector<std::string> good = {"eth0",     "net1", "a", std::string(15, 'x'),
                                         "eth0.100", "e-1_x"};
  for (const std::string& name : good) {
    CniInvocation inv = addInvocation();
    inv.ifName = name;
    CHECK(environmentOk(inv)[4] == "CNI_IFNAME=" + name);
  }
  const std::vector<std::string> bad = {
      "",    ".",    "..",     std::string(16, 'x'),  "eth0:1", "a/b",
      "a b", "a\tb", "eth0\n", std::string("a\0b", 3)};
  for (const std::string& name : bad) {
    CniInvocation inv = addInvocation();
    inv.ifName = name;
    CAPTURE(name);
    checkInvalid(inv, "is not a valid Linux interface name");
  }
}

TEST_CASE("cniEnvironment joins bin dirs with ':' and refuses one holding it", "[cni]") {
  CniInvocation inv = addInvocation();
  inv.binDirs = {"", "/opt/cni/bin", "", "/usr/lib/cni"};
  CHECK(environmentOk(inv)[5] == "CNI_PATH=/opt/cni/bin:/usr/lib/cni");
  inv.binDirs.clear();
  CHECK(environmentOk(inv)[5] == "CNI_PATH=");
  inv.binDirs = {"/opt/cni/bin", "/srv/cni:extra"};
  checkInvalid(inv, "CNI bin dir \"/srv/cni:extra\" holds ':'");
}

TEST_CASE("defaultCniBinDirs is upstream's folder, then Debian's", "[cni]") {
  CHECK(defaultCniBinDirs() == std::vector<std::string>{"/opt/cni/bin", "/usr/lib/cni"});
}

// ---- findPlugin ----

void makeFile(const std::string& path, mode_t mode) {
  REQUIRE(writeFile(path, "#!/bin/sh\nexit 0\n"));
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

void makeDir(const std::string& path) { REQUIRE(fs::create_directories(path)); }

TEST_CASE("findPlugin returns the first executable file in folder order", "[cni]") {
  TempDir tmp;
  const std::string a = tmp.file("opt-cni-bin");
  const std::string b = tmp.file("usr-lib-cni");
  makeDir(a);
  makeDir(b);

  SECTION("found in the second folder only") {
    makeFile(b + "/bridge", 0755);
    Result<std::string> found = findPlugin("bridge", {a, b});
    REQUIRE(found.isOk());
    CHECK(*found == b + "/bridge");
  }
  SECTION("both have it: the first folder wins") {
    makeFile(a + "/bridge", 0755);
    makeFile(b + "/bridge", 0700);
    CHECK(*findPlugin("bridge", {a, b}) == a + "/bridge");
    CHECK(*findPlugin("bridge", {b, a}) == b + "/bridge");
  }
  SECTION("a non-executable file and a folder of that name are skipped") {
    makeFile(a + "/bridge", 0644);
    makeFile(b + "/bridge", 0755);
    CHECK(*findPlugin("bridge", {a, b}) == b + "/bridge");

    makeDir(a + "/host-local");
    makeFile(b + "/host-local", 0555);
    CHECK(*findPlugin("host-local", {a, b}) == b + "/host-local");
  }
  SECTION("one execute bit is enough; a symlink is followed") {
    makeFile(a + "/portmap", 0701);
    CHECK(*findPlugin("portmap", {a}) == a + "/portmap");
    REQUIRE(::symlink((a + "/portmap").c_str(), (b + "/tuning").c_str()) == 0);
    CHECK(*findPlugin("tuning", {b}) == b + "/tuning");
  }
  SECTION("a folder given with a trailing slash, and empty entries") {
    makeFile(b + "/loopback", 0755);
    CHECK(*findPlugin("loopback", {"", b + "/"}) == b + "/loopback");
  }
}

TEST_CASE("findPlugin says where it looked and what it passed over", "[cni]") {
  TempDir tmp;
  const std::string a = tmp.file("a");
  const std::string b = tmp.file("b");
  makeDir(a);
  makeDir(b);

  SECTION("absent everywhere") {
    Result<std::string> found = findPlugin("flannel", {a, b});
    REQUIRE_FALSE(found.isOk());
    CHECK(found.status().code() == Code::kNotFound);
    CHECK(found.status().message() == "CNI plugin \"flannel\" not found in " + a + ", " + b);
  }
  SECTION("present but not usable") {
    makeFile(a + "/bridge", 0644);
    makeDir(b + "/bridge");
    Result<std::string> found = findPlugin("bridge", {a, b});
    REQUIRE_FALSE(found.isOk());
    CHECK(found.status().code() == Code::kNotFound);
    CHECK(found.status().message() == "CNI plugin \"bridge\" not found in " + a + ", " + b + " (" +
                                          a + "/bridge: not executable; " + b +
                                          "/bridge: not a regular file)");
  }
  SECTION("a dangling symlink counts as absent; a file given as folder is reported") {
    REQUIRE(::symlink((a + "/gone").c_str(), (a + "/bridge").c_str()) == 0);
    makeFile(tmp.file("not-a-dir"), 0755);
    Result<std::string> found = findPlugin("bridge", {a, tmp.file("not-a-dir"), tmp.file("none")});
    REQUIRE_FALSE(found.isOk());
    CHECK(found.status().code() == Code::kNotFound);
    CHECK_THAT(found.status().message(),
               Catch::EndsWith("(" + tmp.file("not-a-dir") + "/bridge: Not a directory)"));
  }
  SECTION("no folders") {
    Result<std::string> found = findPlugin("bridge", {});
    REQUIRE_FALSE(found.isOk());
    CHECK(found.status().message() == "CNI plugin \"bridge\" not found in (no folders)");
  }
}

TEST_CASE("findPlugin refuses a type that is not a plain file name", "[cni]") {
  TempDir tmp;
  makeFile(tmp.file("bridge"), 0755);
  const std::vector<std::string> types = {
      "", ".", "..", "../bridge", "/usr/lib/cni/bridge", "sub/bridge", std::string("bri\0dge", 7)};
  for (const std::string& type : types) {
    CAPTURE(type);
    Result<std::string> found = findPlugin(type, {tmp.path()});
    REQUIRE_FALSE(found.isOk());
    CHECK(found.status().code() == Code::kInvalidArgument);
    CHECK_THAT(found.status().message(), Catch::EndsWith("is not a file name"));
  }
}

}  // namespace
}  // namespace dockershim::network
