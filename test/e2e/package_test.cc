// The Debian package as a node operator meets it: lintian finds no error, it holds what the
// README says, `dpkg -i` installs it, the installed binary serves pods from the private Docker,
// and `dpkg --purge` leaves nothing behind.
//
// It is installed twice: into a dpkg root of the test's own (always; scripts run with
// DPKG_ROOT, as Debian's chrootless installs do), and into this machine's root when no dockershim
// is there (no package, no /usr/bin/dockershim, no /var/lib/dockershim) so that a node that runs
// one is never touched.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The files (not folders) the package holds, as absolute paths.
std::vector<std::string> packageFiles() {
  std::string out;
  REQUIRE(runCommand(
              "dpkg-deb --fsys-tarfile " + std::string(DOCKERSHIM_DEB) + " | tar -t --exclude='*/'",
              &out) == 0);
  std::vector<std::string> files;
  for (auto& line : lines(out)) {
    if (line.rfind("./", 0) == 0 && line.back() != '/') files.push_back(line.substr(1));
  }
  return files;
}

// dpkg on `root` ("/" or a folder of the test's own); the command's output.
std::string dpkg(const std::string& root, const std::string& args, int* rc) {
  std::string cmd = "dpkg ";
  if (root != "/") {
    cmd = "DPKG_ROOT=" + root + " dpkg --root=" + root +
          " --force-script-chrootless --force-depends --force-bad-path --log=" + root +
          "/dpkg.log ";
  }
  std::string out;
  *rc = runCommand(cmd + args + " 2>&1", &out);
  return out;
}

void makeDpkgRoot(const std::string& root) {
  fs::create_directories(root + "/var/lib/dpkg/info");
  fs::create_directories(root + "/var/lib/dpkg/updates");
  fs::create_directories(root + "/var/lib/dpkg/triggers");
  for (const char* f : {"/var/lib/dpkg/status", "/var/lib/dpkg/available"}) {
    std::ofstream(root + f).flush();
  }
}

void installRunPurge(const std::string& root) {
  INFO("dpkg root: " << root);
  const std::string r = root == "/" ? "" : root;
  int rc = 0;
  std::string out = dpkg(root, "-i " + std::string(DOCKERSHIM_DEB), &rc);
  INFO(out);
  REQUIRE(rc == 0);
  std::string status = dpkg(root, "-s dockershim", &rc);
  CHECK(rc == 0);
  CHECK(status.find("Status: install ok installed") != std::string::npos);

  // The unit runs the installed binary with the flags file.
  std::string unit = readFile(r + "/lib/systemd/system/dockershim.service");
  CHECK(unit.find("ExecStart=/usr/bin/dockershim --container-runtime-endpoint fd:// "
                  "$DOCKERSHIM_OPTS") != std::string::npos);
  CHECK(unit.find("EnvironmentFile=-/etc/default/dockershim") != std::string::npos);
  std::string socket = readFile(r + "/lib/systemd/system/dockershim.socket");
  CHECK(socket.find("ListenStream=/run/cri-dockerd.sock") != std::string::npos);
  CHECK(socket.find("ListenStream=/run/dockershim.sock") != std::string::npos);

  // The installed binary serves a pod from the private Docker.
  ShimLaunch launch;
  launch.binary = r + "/usr/bin/dockershim";
  auto shim =
      TestBed::get().startShim({}, root == "/" ? "shim-pkg" : "shim-pkg-root", true, launch);
  auto id = runPod(*shim, podConfig("from-package"));
  v1::PodSandboxStatusResponse st;
  REQUIRE(podStatus(*shim, id, &st).ok());
  CHECK(st.status().state() == v1::SANDBOX_READY);
  cleanupPod(*shim, id);
  shim.reset();

  // State a daemon started by the unit would leave; purge removes it, and everything else.
  fs::create_directories(r + "/var/lib/dockershim/sandbox");
  std::ofstream(r + "/var/lib/dockershim/sandbox/" + std::string(64, 'f')) << "{}";
  out = dpkg(root, "--purge dockershim", &rc);
  INFO(out);
  CHECK(rc == 0);
  for (const auto& file : packageFiles()) {
    INFO(file);
    CHECK_FALSE(exists(r + file));
  }
  CHECK_FALSE(exists(r + "/etc/default/dockershim"));
  CHECK_FALSE(exists(r + "/var/lib/dockershim"));
  CHECK_FALSE(exists(r + "/usr/share/doc/dockershim"));
  dpkg(root, "-s dockershim", &rc);
  CHECK(rc != 0);
}

}  // namespace

TEST_CASE("the Debian package: lintian-clean, complete, with dependencies from dpkg-shlibdeps",
          "[package]") {
  REQUIRE(exists(DOCKERSHIM_DEB));
  std::string out;
  runCommand("lintian --no-cfg " + std::string(DOCKERSHIM_DEB) + " 2>&1", &out);
  INFO(out);
  for (const auto& line : lines(out)) {
    CHECK(line.rfind("E: ", 0) != 0);
  }

  auto files = packageFiles();
  auto has = [&](const std::string& f) {
    return std::find(files.begin(), files.end(), f) != files.end();
  };
  for (const char* f :
       {"/usr/bin/dockershim", "/lib/systemd/system/dockershim.service",
        "/lib/systemd/system/dockershim.socket", "/etc/default/dockershim",
        "/usr/share/man/man8/dockershim.8.gz", "/usr/share/doc/dockershim/README.md.gz",
        "/usr/share/doc/dockershim/copyright", "/usr/share/doc/dockershim/changelog.gz",
        "/usr/share/doc/dockershim/examples/10-dockershim.conflist"}) {
    INFO(f);
    CHECK(has(f));
  }
  std::string control;
  REQUIRE(runCommand("dpkg-deb -f " + std::string(DOCKERSHIM_DEB) + " Depends Conffiles 2>&1; " +
                         "dpkg-deb -I " + std::string(DOCKERSHIM_DEB) + " conffiles",
                     &control) == 0);
  INFO(control);
  // What the binary links, with versions from their shlibs files: libc6 (2.36 at least, for
  // its packed relocations); gRPC, Protobuf and Abseil are linked in, so not depended on, and
  // their licences travel in the package's copyright file.
  CHECK(control.find("libc6 (>= 2.36)") != std::string::npos);
  CHECK(control.find("libgrpc") == std::string::npos);
  CHECK(control.find("libprotobuf") == std::string::npos);
  CHECK(control.find("libabsl") == std::string::npos);
  std::string copyright;
  REQUIRE(runCommand("dpkg-deb --fsys-tarfile " + std::string(DOCKERSHIM_DEB) +
                         " | tar -xO ./usr/share/doc/dockershim/copyright",
                     &copyright) == 0);
  for (const char* lib :
       {"libgrpc29", "libprotobuf32", "libabsl20220623", "libre2-9", "libc-ares2"}) {
    INFO(lib);
    CHECK(copyright.find(std::string("==== ") + lib) != std::string::npos);
  }
  CHECK(copyright.find("Apache License") != std::string::npos);
  CHECK(control.find("docker.io | docker-ce") != std::string::npos);
  CHECK(control.find("/etc/default/dockershim") != std::string::npos);
  // The man page is the binary's own.
  std::string man;
  REQUIRE(runCommand("dpkg-deb --fsys-tarfile " + std::string(DOCKERSHIM_DEB) +
                         " | tar -xO ./usr/share/man/man8/dockershim.8.gz | gzip -dc",
                     &man) == 0);
  std::string own;
  REQUIRE(runCommand(std::string(DOCKERSHIM_BINARY) + " --man-page", &own) == 0);
  CHECK(man == own);
}

TEST_CASE("the Debian package installs, serves pods from Docker, and purges clean", "[package]") {
  REQUIRE(exists(DOCKERSHIM_DEB));
  const std::string root = TestBed::get().dir() + "/dpkg-root";
  makeDpkgRoot(root);
  installRunPurge(root);

  int rc = 0;
  dpkg("/", "-s dockershim", &rc);
  const bool nodeHasOne = rc == 0 || exists("/usr/bin/dockershim") || exists("/var/lib/dockershim");
  if (nodeHasOne) {
    WARN("a dockershim is installed on this machine: the package was installed into " << root
                                                                                      << " only");
    return;
  }
  installRunPurge("/");
}

TEST_CASE("cmake --install --prefix DIR installs the same layout, units naming DIR", "[package]") {
  const std::string prefix = TestBed::get().dir() + "/install-prefix";
  std::string out;
  int rc = runCommand(
      "cmake --install " + std::string(DOCKERSHIM_BUILD_DIR) + " --prefix " + prefix + " 2>&1",
      &out);
  INFO(out);
  REQUIRE(rc == 0);
  for (const char* f :
       {"/bin/dockershim", "/share/man/man8/dockershim.8", "/etc/default/dockershim",
        "/lib/systemd/system/dockershim.socket", "/share/doc/dockershim/README.md",
        "/share/doc/dockershim/examples/10-dockershim.conflist"}) {
    INFO(f);
    CHECK(exists(prefix + f));
  }
  std::string unit = readFile(prefix + "/lib/systemd/system/dockershim.service");
  CHECK(unit.find("ExecStart=" + prefix + "/bin/dockershim --container-runtime-endpoint fd://") !=
        std::string::npos);
  CHECK(unit.find("EnvironmentFile=-" + prefix + "/etc/default/dockershim") != std::string::npos);
  std::string version;
  CHECK(runCommand(prefix + "/bin/dockershim --version", &version) == 0);
  CHECK(version.find("dockershim ") == 0);
}
