// Which folder holds the sandbox checkpoints when --root-directory is not given: cri-dockerd's
// when a node swapped its cri-dockerd binary for dockershim.
#include "app/state_directory.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "unit/temp_dir.h"

namespace dockershim::app {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::writeFile;

void checkpoint(const std::string& root, const std::string& id) {
  fs::create_directories(root + "/sandbox");
  REQUIRE(writeFile(root + "/sandbox/" + id, R"({"version":"v1"})"));
}

TEST_CASE("cri-dockerd's state is taken over only when ours holds none", "[state]") {
  TempDir dir;
  const std::string own = dir.file("dockershim");
  const std::string theirs = dir.file("cri-dockerd");

  SECTION("neither has state: ours") {
    auto s = chooseStateDirectory(own, theirs);
    CHECK(s.root == own);
    CHECK_FALSE(s.tookOver);
  }
  SECTION("only cri-dockerd's has checkpoints: cri-dockerd's, with their number") {
    checkpoint(theirs, "a1");
    checkpoint(theirs, "b2");
    fs::create_directories(own + "/sandbox");  // an empty folder of ours is no state
    auto s = chooseStateDirectory(own, theirs);
    CHECK(s.root == theirs);
    CHECK(s.tookOver);
    CHECK(s.checkpoints == 2);
  }
  SECTION("both have checkpoints: ours") {
    checkpoint(theirs, "a1");
    checkpoint(own, "c3");
    auto s = chooseStateDirectory(own, theirs);
    CHECK(s.root == own);
    CHECK_FALSE(s.tookOver);
  }
  SECTION("temp files and folders are not checkpoints") {
    fs::create_directories(theirs + "/sandbox/sub");
    REQUIRE(writeFile(theirs + "/sandbox/.123456", "{}"));
    CHECK(countCheckpoints(theirs) == 0);
    CHECK(chooseStateDirectory(own, theirs).root == own);
  }
}

}  // namespace
}  // namespace dockershim::app
