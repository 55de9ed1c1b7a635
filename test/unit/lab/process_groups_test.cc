#include "process_groups.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace dockershim::lab {
namespace {

namespace fs = std::filesystem;

// A /proc with processes of given comm, exe, CPU ticks and RSS.
struct FakeProc {
  fs::path root;
  FakeProc() {
    root = fs::temp_directory_path() / ("lab-proc-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~FakeProc() { fs::remove_all(root); }
  void add(int pid, const std::string& comm, const std::string& exe, long utime, long stime,
           long rssKb) {
    fs::path dir = root / std::to_string(pid);
    fs::create_directories(dir);
    std::ofstream(dir / "comm") << comm << "\n";
    std::ofstream(dir / "stat") << pid << " (" << comm << ") S 1 " << pid << " " << pid
                                << " 0 -1 4194560 100 0 0 0 " << utime << " " << stime
                                << " 0 0 20 0 1 0 100 1000000 250\n";
    std::ofstream(dir / "status") << "Name:\t" << comm << "\nVmRSS:\t   " << rssKb << " kB\n";
    std::string cmdline =
        exe + std::string(1, '\0') + "-address" + std::string(1, '\0') + "/run/" + comm + ".sock";
    std::ofstream(dir / "cmdline") << cmdline;
    if (!exe.empty()) fs::create_symlink(exe, dir / "exe");
  }
};

TEST_CASE("lab: process group specs", "[lab]") {
  auto a = parseGroupSpec("dockerd");
  REQUIRE(a);
  CHECK(a->label == "dockerd");
  CHECK(a->pattern == "dockerd");
  CHECK(a->pid == 0);
  auto b = parseGroupSpec("4242");
  REQUIRE(b);
  CHECK(b->pid == 4242);
  CHECK(b->label == "4242");
  auto c = parseGroupSpec("shims=containerd-shim*");
  REQUIRE(c);
  CHECK(c->label == "shims");
  CHECK(c->pattern == "containerd-shim*");
  CHECK_FALSE(parseGroupSpec(""));
  CHECK_FALSE(parseGroupSpec("=x"));
  CHECK_FALSE(parseGroupSpec("x="));
  auto d = parseGroupSpec("mine=containerd-shim*@/run/x.sock");
  REQUIRE(d);
  CHECK(d->pattern == "containerd-shim*");
  CHECK(d->cmdlineContains == "/run/x.sock");
  CHECK_FALSE(parseGroupSpec("x=@y"));
  GroupSpec shim = *parseGroupSpec("containerd-shim-runc-v2");
  // The kernel cuts comm at 15 bytes: the executable's name still matches.
  CHECK(matchesName(shim, "containerd-shim", "containerd-shim-runc-v2"));
  CHECK_FALSE(matchesName(shim, "containerd-shim", ""));
  CHECK_FALSE(matchesName(*parseGroupSpec("1"), "x", "x"));
}

TEST_CASE("lab: groups summed over their processes from /proc", "[lab]") {
  FakeProc proc;
  long hz = ::sysconf(_SC_CLK_TCK);
  proc.add(10, "dockerd", "/usr/sbin/dockerd", 2 * hz, hz, 1024);
  proc.add(20, "containerd-shim", "/usr/bin/containerd-shim-runc-v2", hz, 0, 2048);
  proc.add(21, "containerd-shim", "/usr/bin/containerd-shim-runc-v2", 0, hz, 2048);
  proc.add(30, "containerd", "/usr/bin/containerd", hz, 0, 4096);
  proc.add(40, "bash", "", 5 * hz, 0, 100);
  GroupSampler sampler({*parseGroupSpec("dockerd"), *parseGroupSpec("containerd-shim*"),
                        *parseGroupSpec("containerd"), *parseGroupSpec("me=40"),
                        *parseGroupSpec("none=nothing-like-this")},
                       proc.root.string());
  auto r = sampler.read();
  REQUIRE(r.size() == 5);
  CHECK(r[0].label == "dockerd");
  CHECK(r[0].processes() == 1);
  CHECK(r[0].cpuNanos == 3'000'000'000ull);
  CHECK(r[0].rssBytes == 1024 * 1024);
  CHECK(r[1].processes() == 2);  // both shims, not containerd
  CHECK(r[1].cpuNanos == 2'000'000'000ull);
  CHECK(r[1].rssBytes == 2 * 2048 * 1024);
  CHECK(r[2].processes() == 1);  // "containerd" alone: the glob is exact
  CHECK(r[3].label == "me");
  CHECK(r[3].cpuNanos == 5'000'000'000ull);
  CHECK(r[4].processes() == 0);
  // Narrowed by the command line (the shims of one containerd name its socket).
  GroupSampler narrowed({*parseGroupSpec("containerd-shim*@-address /run/containerd-shim.sock"),
                         *parseGroupSpec("containerd-shim*@/run/other.sock")},
                        proc.root.string());
  auto n = narrowed.read();
  CHECK(n[0].processes() == 2);
  CHECK(n[1].processes() == 0);

  // Between readings: per-process deltas; a new process counts whole; a gone one nothing.
  GroupReading before;
  before.cpuByPid = {{1, 1'000'000'000}, {2, 500'000'000}};
  GroupReading after;
  after.cpuByPid = {{1, 1'500'000'000}, {3, 250'000'000}};
  CHECK(groupCores(before, after, 1.0) == Approx(0.75));
  CHECK(groupCores(before, after, 0) == 0);
}

}  // namespace
}  // namespace dockershim::lab
