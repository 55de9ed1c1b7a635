// A full or read-only disk under dockershim's state, and damaged state found at start (tag
// [disk]): the call that cannot write fails with the reason and leaves nothing half made; damaged
// files are reported and dealt with, never a crash.
#include <sys/mount.h>

#include <set>

#include "e2e/cni_env.h"
#include "e2e/pod_util.h"

namespace dockershim::e2e {
namespace {

// A small tmpfs mounted on `dir` for the life of the object.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir_);
    REQUIRE(::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=1m,mode=0755") == 0);
  }
  ~SmallDisk() { ::umount2(dir_.c_str(), MNT_DETACH); }
  // Fills it up to the last byte.
  void fill() {
    runCommand("dd if=/dev/zero of=" + dir_ + "/.filler bs=4k 2>/dev/null; sync");
    std::string out;
    runCommand("df --output=avail -B1 " + dir_ + " | tail -1", &out);
    INFO("free bytes: " << out);
    REQUIRE(std::atoll(out.c_str()) == 0);
  }
  void free() { fs::remove(dir_ + "/.filler"); }
  void readOnly(bool on) {
    REQUIRE(::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | (on ? MS_RDONLY : 0),
                    "size=1m,mode=0755") == 0);
  }

 private:
  std::string dir_;
};

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename() != ".filler") out.insert(e.path().filename());
  }
  return out;
}

// RunPodSandbox fails with `reason` in its message and leaves no container, checkpoint, CNI
// record or address behind.
void expectRunFailsClean(CniEnv& env, const std::string& reason) {
  auto config = podConfig("disk");
  std::string id;
  auto s = tryRunPod(env.shim(), config, &id);
  INFO(describe(s));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error_message().find(reason) != std::string::npos);
  CHECK(dockerContainersNamed(config.metadata().name()) == 0);
  CHECK(entries(env.dir() + "/root/sandbox").empty());
  CHECK(entries(env.cacheDir() + "/dockershim").empty());
  CHECK(env.allocations().empty());
  CHECK(env.bridgePorts().empty());
}

void expectRunWorks(CniEnv& env) {
  auto config = podConfig("disk-ok");
  std::string id = runPod(env.shim(), config);
  CHECK(sandboxStatus(env.shim(), id).network().ip().size() > 0);
  cleanupPod(env.shim(), id);
  CHECK(entries(env.dir() + "/root/sandbox").empty());
  CHECK(entries(env.cacheDir() + "/dockershim").empty());
}

// Each run of the test case takes one section: the disk full, then read-only. Either way
// RunPodSandbox fails with the reason and leaves nothing; the disk is mended afterwards.
void expectDiskFaultsFailClean(CniEnv& env, SmallDisk& disk) {
  SECTION("full") {
    disk.fill();
    expectRunFailsClean(env, "No space left on device");
    disk.free();
  }
  SECTION("read-only") {
    disk.readOnly(true);
    expectRunFailsClean(env, "Read-only file system");
    disk.readOnly(false);
  }
}

}  // namespace

TEST_CASE("disk: a full or read-only state folder fails RunPodSandbox cleanly", "[disk]") {
  CniEnv env("disk-root");
  env.writeConf("10-net.conflist", env.conflist());
  SmallDisk disk(env.dir() + "/root");
  env.start();
  expectRunWorks(env);

  expectDiskFaultsFailClean(env, disk);
  expectRunWorks(env);
  env.stop();
}

TEST_CASE("disk: a full or read-only CNI cache fails RunPodSandbox cleanly", "[disk]") {
  CniEnv env("disk-cni");
  env.writeConf("10-net.conflist", env.conflist());
  SmallDisk disk(env.cacheDir());
  env.start();
  expectRunWorks(env);

  expectDiskFaultsFailClean(env, disk);
  expectRunWorks(env);
  env.stop();
  // No ADD ever ran for a pod that failed here.
  int adds = 0;
  for (const auto& c : env.calls()) adds += c["command"] == "ADD";
  CHECK(adds == 2);
}

TEST_CASE("disk: damaged checkpoints, CNI records and temp files found at start", "[disk]") {
  CniEnv env("disk-damaged");
  env.writeConf("10-net.conflist", env.conflist());
  env.start();
  auto config = podConfig("survivor");
  std::string survivor = runPod(env.shim(), config);
  std::string ip = sandboxStatus(env.shim(), survivor).network().ip();
  env.stop();

  // What a disk error or a crash of another tool can leave: garbage, empty files, half JSON.
  const std::string sandbox = env.dir() + "/root/sandbox";
  const std::string records = env.cacheDir() + "/dockershim";
  const std::string bad1(64, 'a'), bad2(64, 'b'), bad3(64, 'c');
  writeText(sandbox + "/" + bad1, "\x01\x02 not json");
  writeText(sandbox + "/" + bad2, "");
  writeText(sandbox + "/.checkpoint-AbC123", "{\"half\":");
  writeText(records + "/" + bad1, "{\"kind\":\"dockershim-cni-record-v1\",\"sandboxId\":");
  writeText(records + "/" + bad3, "[]");
  writeText(records + "/" + bad3 + ".tmp", "{");
  auto& shim = env.start();
  CHECK(shim.process.running());

  // Served; the survivor is listed as before, the damaged entries reported and gone.
  auto pods = listPods(shim);
  std::set<std::string> ids;
  for (const auto& p : pods) ids.insert(p.id());
  CHECK(ids.count(survivor) == 1);
  CHECK(ids.count(bad1) == 0);
  CHECK(ids.count(bad2) == 0);
  CHECK(sandboxStatus(shim, survivor).network().ip() == ip);
  CHECK(waitForLog(shim, "is damaged"));
  CHECK(entries(sandbox) == std::set<std::string>{survivor});
  CHECK(eventually([&] { return entries(records) == std::set<std::string>{survivor}; }, 10s));

  cleanupPod(shim, survivor);
  CHECK(entries(sandbox).empty());
  CHECK(entries(records).empty());
  CHECK(env.allocations().empty());
}

}  // namespace dockershim::e2e
