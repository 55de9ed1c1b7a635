#include "common/disk_usage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "unit/temp_dir.h"

namespace dockershim::common {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

// Data that no filesystem compresses away, so allocated blocks track the size.
void writeFile(const fs::path& p, size_t size) {
  std::string data(size, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : data) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  REQUIRE(test::writeFile(p, data));
}

// What diskUsage must count for one entry: its own allocated blocks (lstat, never followed).
uint64_t allocated(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

uint64_t allocatedSum(const std::vector<fs::path>& paths) {
  uint64_t sum = 0;
  for (const auto& p : paths) sum += allocated(p);
  return sum;
}

TEST_CASE("diskUsage sums allocated blocks and counts inodes", "[disk_usage]") {
  TempDir tmp;
  const fs::path root = tmp.path();
  fs::create_directory(root / "sub");
  fs::create_directory(root / "sub" / "deeper");
  writeFile(root / "a.bin", 10'000);
  writeFile(root / "sub" / "b.bin", 50'000);
  writeFile(root / "sub" / "deeper" / "c.bin", 123'456);
  writeFile(root / "empty", 0);
  ::sync();

  const std::vector<fs::path> entries = {
      root,           root / "sub",           root / "sub" / "deeper",
      root / "a.bin", root / "sub" / "b.bin", root / "sub" / "deeper" / "c.bin",
      root / "empty"};
  auto usage = diskUsage(root.string());
  REQUIRE(usage.isOk());
  CHECK(usage->inodes == entries.size());
  CHECK(usage->bytes == allocatedSum(entries));
  CHECK(usage->bytes >= 10'000 + 50'000 + 123'456);

  SECTION("a hard link is counted once") {
    REQUIRE(::link((root / "sub" / "b.bin").c_str(), (root / "b-link.bin").c_str()) == 0);
    REQUIRE(::link((root / "sub" / "b.bin").c_str(), (root / "sub" / "deeper" / "b2").c_str()) ==
            0);
    auto linked = diskUsage(root.string());
    REQUIRE(linked.isOk());
    CHECK(linked->inodes == usage->inodes);
    CHECK(linked->bytes == allocatedSum(entries));
  }

  SECTION("a hard link to a file outside the tree counts the file once") {
    TempDir outside;
    writeFile(outside.file("big"), 200'000);
    REQUIRE(::link(outside.file("big").c_str(), (root / "big-link").c_str()) == 0);
    auto linked = diskUsage(root.string());
    REQUIRE(linked.isOk());
    CHECK(linked->inodes == usage->inodes + 1);
    CHECK(linked->bytes == allocatedSum(entries) + allocated(root / "big-link"));
  }

  SECTION("a symlink is counted as itself, not followed") {
    TempDir outside;
    writeFile(outside.file("big"), 1'000'000);
    fs::create_directory(outside.file("dir"));
    writeFile(outside.file("dir/big"), 1'000'000);
    fs::create_symlink(outside.file("big"), root / "to-file");
    fs::create_directory_symlink(outside.file("dir"), root / "sub" / "to-dir");
    fs::create_symlink(root / "a.bin", root / "to-inside");
    fs::create_symlink(root / "missing", root / "dangling");
    auto linked = diskUsage(root.string());
    REQUIRE(linked.isOk());
    CHECK(linked->inodes == usage->inodes + 4);
    CHECK(linked->bytes ==
          allocatedSum(entries) + allocatedSum({root / "to-file", root / "sub" / "to-dir",
                                                root / "to-inside", root / "dangling"}));
    CHECK(linked->bytes < usage->bytes + 1'000'000);
  }

  SECTION("a symlink given as the path itself is not followed") {
    fs::create_directory_symlink(root / "sub", root / "sub-link");
    auto linked = diskUsage((root / "sub-link").string());
    REQUIRE(linked.isOk());
    CHECK(linked->inodes == 1);
    CHECK(linked->bytes == allocated(root / "sub-link"));
  }

  SECTION("a subdirectory is measured on its own") {
    auto sub = diskUsage((root / "sub").string());
    REQUIRE(sub.isOk());
    CHECK(sub->inodes == 4);
    CHECK(sub->bytes == allocatedSum({root / "sub", root / "sub" / "deeper", root / "sub" / "b.bin",
                                      root / "sub" / "deeper" / "c.bin"}));
  }

  SECTION("a regular file is measured as one inode") {
    auto file = diskUsage((root / "sub" / "deeper" / "c.bin").string());
    REQUIRE(file.isOk());
    CHECK(file->inodes == 1);
    CHECK(file->bytes == allocated(root / "sub" / "deeper" / "c.bin"));
    CHECK(file->bytes >= 123'456);
  }
}

TEST_CASE("diskUsage of an empty directory is the directory alone", "[disk_usage]") {
  TempDir tmp;
  auto usage = diskUsage(tmp.path());
  REQUIRE(usage.isOk());
  CHECK(usage->inodes == 1);
  CHECK(usage->bytes == allocated(tmp.path()));
}

TEST_CASE("diskUsage of a missing path is NOT_FOUND", "[disk_usage]") {
  TempDir tmp;
  const std::string missing = tmp.file("nope");
  auto usage = diskUsage(missing);
  REQUIRE_FALSE(usage.isOk());
  CHECK(usage.status().code() == Code::kNotFound);
  CHECK_THAT(usage.status().message(), Catch::Contains(missing));

  auto empty = diskUsage("");
  REQUIRE_FALSE(empty.isOk());
  CHECK(empty.status().code() == Code::kNotFound);
}

TEST_CASE("diskUsage through a file is an internal error, not NOT_FOUND", "[disk_usage]") {
  TempDir tmp;
  writeFile(tmp.file("file"), 10);
  auto usage = diskUsage(tmp.file("file/x"));
  REQUIRE_FALSE(usage.isOk());
  CHECK(usage.status().code() == Code::kInternal);
}

}  // namespace
}  // namespace dockershim::common
