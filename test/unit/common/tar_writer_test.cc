#include "common/tar_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "unit/temp_dir.h"

namespace dockershim::common {
namespace {

namespace fs = std::filesystem;

using test::TempDir;
using test::writeFile;

struct CommandResult {
  int exitCode;
  std::string output;
};

CommandResult run(const std::string& command) {
  CommandResult result{-1, {}};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  int status = pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// An extracted file's content; a file that cannot be opened fails the test.
std::string readFile(const fs::path& path) {
  REQUIRE(std::ifstream(path, std::ios::binary).good());
  return test::readFile(path);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct stat statOf(const fs::path& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// 154-byte directory plus a 100-byte file name: 255 bytes, needing the prefix field.
const std::string kLongDir =
    std::string(50, 'd') + "/" + std::string(50, 'e') + "/" + std::string(52, 'f');
const std::string kLongFile = kLongDir + "/" + std::string(100, 'g');

TEST_CASE("TarWriter archives are read back by system tar", "[tar_writer]") {
  TarWriter w;
  REQUIRE(w.addDirectory("dir", 0755).isOk());
  REQUIRE(w.addFile("dir/hello.txt", 0644, "hello\n").isOk());
  REQUIRE(w.addFile("dir/run.sh", 0750, "#!/bin/sh\nexit 0\n").isOk());
  REQUIRE(w.addFile("dir/empty", 0600, "").isOk());
  REQUIRE(w.addFile("dir/block", 0644, std::string(512, 'b')).isOk());
  REQUIRE(w.addFile("dir/block1", 0644, std::string(513, 'c')).isOk());
  REQUIRE(w.addHardLink("dir/hard", "dir/hello.txt").isOk());
  REQUIRE(w.addSymlink("dir/sym", "hello.txt").isOk());
  REQUIRE(w.addDirectory("dir/setgid/", 02775).isOk());
  REQUIRE(w.addDirectory(kLongDir, 0700).isOk());
  REQUIRE(w.addFile(kLongFile, 0640, "deep").isOk());
  REQUIRE(kLongFile.size() == 255);
  std::string archive = w.finish();

  TempDir tmp;
  fs::path tarPath = tmp.file("a.tar");
  REQUIRE(writeFile(tarPath, archive));

  SECTION("tar -tvf lists every entry with owner 0/0, mtime 0 and its mode") {
    auto listed = run("TZ=UTC tar --numeric-owner -tvf " + quoted(tarPath));
    REQUIRE(listed.exitCode == 0);
    auto got = lines(listed.output);
    REQUIRE(got.size() == 11);
    auto has = [&](std::size_t i, const std::string& mode, const std::string& size,
                   const std::string& tail) {
      INFO("line: " << got[i]);
      CHECK(got[i].rfind(mode + " 0/0", 0) == 0);
      CHECK_THAT(got[i], Catch::Contains(" " + size + " 1970-01-01 00:00 " + tail));
    };
    has(0, "drwxr-xr-x", "0", "dir/");
    has(1, "-rw-r--r--", "6", "dir/hello.txt");
    has(2, "-rwxr-x---", "17", "dir/run.sh");
    has(3, "-rw-------", "0", "dir/empty");
    has(4, "-rw-r--r--", "512", "dir/block");
    has(5, "-rw-r--r--", "513", "dir/block1");
    has(6, "hrw-r--r--", "0", "dir/hard link to dir/hello.txt");
    has(7, "lrwxrwxrwx", "0", "dir/sym -> hello.txt");
    has(8, "drwxrwsr-x", "0", "dir/setgid/");
    has(9, "drwx------", "0", kLongDir + "/");
    has(10, "-rw-r-----", "4", kLongFile);
  }

  SECTION("tar -xpf restores contents, modes and links") {
    fs::path out = tmp.file("out");
    fs::create_directory(out);
    auto extracted = run("tar -xpf " + quoted(tarPath) + " -C " + quoted(out));
    REQUIRE(extracted.exitCode == 0);
    CHECK(extracted.output.empty());

    CHECK((statOf(out / "dir").st_mode & 07777) == 0755);
    CHECK(S_ISDIR(statOf(out / "dir").st_mode));
    CHECK(readFile(out / "dir/hello.txt") == "hello\n");
    CHECK((statOf(out / "dir/hello.txt").st_mode & 07777) == 0644);
    CHECK(readFile(out / "dir/run.sh") == "#!/bin/sh\nexit 0\n");
    CHECK((statOf(out / "dir/run.sh").st_mode & 07777) == 0750);
    CHECK(readFile(out / "dir/empty").empty());
    CHECK((statOf(out / "dir/empty").st_mode & 07777) == 0600);
    CHECK(readFile(out / "dir/block") == std::string(512, 'b'));
    CHECK(readFile(out / "dir/block1") == std::string(513, 'c'));
    CHECK((statOf(out / "dir/setgid").st_mode & 07777) == 02775);

    struct stat file = statOf(out / "dir/hello.txt");
    struct stat hard = statOf(out / "dir/hard");
    CHECK(file.st_ino == hard.st_ino);
    CHECK(hard.st_nlink == 2);

    CHECK(S_ISLNK(statOf(out / "dir/sym").st_mode));
    CHECK(fs::read_symlink(out / "dir/sym") == "hello.txt");

    CHECK((statOf(out / kLongDir).st_mode & 07777) == 0700);
    CHECK(readFile(out / kLongFile) == "deep");
  }
}

unsigned parseOctal(const std::string& field) {
  return static_cast<unsigned>(std::strtoul(field.c_str(), nullptr, 8));
}

TEST_CASE("TarWriter writes well-formed, reproducible ustar headers", "[tar_writer]") {
  TarWriter w;
  REQUIRE(w.addFile("a/b.txt", 0644, "xyz").isOk());
  std::string archive = w.finish();

  // One header, one padded data block, two zero blocks.
  REQUIRE(archive.size() == 4 * 512);
  CHECK(archive.substr(2 * 512) == std::string(1024, '\0'));
  CHECK(archive.substr(512, 3) == "xyz");
  CHECK(archive.substr(515, 512 - 3) == std::string(509, '\0'));

  std::string header = archive.substr(0, 512);
  CHECK(header.substr(0, 8) == std::string("a/b.txt\0", 8));
  CHECK(header.substr(100, 8) == std::string("0000644\0", 8));
  CHECK(header.substr(108, 8) == std::string("0000000\0", 8));
  CHECK(header.substr(116, 8) == std::string("0000000\0", 8));
  CHECK(header.substr(124, 12) == std::string("00000000003\0", 12));
  CHECK(header.substr(136, 12) == std::string("00000000000\0", 12));
  CHECK(header[156] == '0');
  CHECK(header.substr(257, 8) == std::string("ustar", 6) + "00");  // magic NUL-terminated

  unsigned sum = 0;
  for (std::size_t i = 0; i < 512; ++i) {
    bool inChecksum = i >= 148 && i < 156;
    sum += inChecksum ? ' ' : static_cast<unsigned char>(header[i]);
  }
  CHECK(parseOctal(header.substr(148, 6)) == sum);
  CHECK(header[154] == '\0');
  CHECK(header[155] == ' ');

  TarWriter again;
  REQUIRE(again.addFile("a/b.txt", 0644, "xyz").isOk());
  CHECK(again.finish() == archive);
}

TEST_CASE("TarWriter stores paths over 100 bytes in the prefix field", "[tar_writer]") {
  TarWriter w;
  REQUIRE(w.addFile(kLongFile, 0644, "").isOk());
  std::string header = w.finish().substr(0, 512);
  CHECK(header.substr(0, 100) == std::string(100, 'g'));
  CHECK(header.substr(345, kLongDir.size()) == kLongDir);
  CHECK(header[345 + kLongDir.size()] == '\0');
}

TEST_CASE("TarWriter splits a long directory path before its trailing slash", "[tar_writer]") {
  std::string dir = std::string(60, 'a') + "/" + std::string(60, 'b');
  TarWriter w;
  REQUIRE(w.addDirectory(dir, 0755).isOk());
  std::string header = w.finish().substr(0, 512);
  CHECK(header.substr(0, 62) == std::string(60, 'b') + "/" + std::string(1, '\0'));
  CHECK(header.substr(345, 61) == std::string(60, 'a') + std::string(1, '\0'));
}

TEST_CASE("TarWriter rejects entries ustar cannot hold", "[tar_writer]") {
  TarWriter w;
  REQUIRE(w.addFile("keep", 0644, "k").isOk());

  auto expectInvalid = [](const Status& s, const std::string& part) {
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(part));
  };
  expectInvalid(w.addFile("", 0644, "x"), "empty path");
  expectInvalid(w.addDirectory("", 0755), "empty path");
  expectInvalid(w.addFile(std::string("a\0b", 3), 0644, "x"), "NUL");
  expectInvalid(w.addFile(kLongFile + "x", 0644, "x"), "does not fit");
  // 101-byte last component: no split leaves the name within 100 bytes.
  expectInvalid(w.addFile("dir/" + std::string(101, 'n'), 0644, "x"), "does not fit");
  // 156-byte first component: no split keeps the prefix within 155 bytes.
  expectInvalid(w.addFile(std::string(156, 'p') + "/f", 0644, "x"), "does not fit");
  // A leading '/' cannot be the split point: the reader would drop it.
  expectInvalid(w.addFile("/" + std::string(100, 'n'), 0644, "x"), "does not fit");
  expectInvalid(w.addHardLink("h", std::string(101, 't')), "link target longer than 100");
  expectInvalid(w.addSymlink("s", std::string(101, 't')), "link target longer than 100");
  expectInvalid(w.addHardLink("h", ""), "empty hard link target");
  expectInvalid(w.addSymlink("s", ""), "empty symlink target");
  expectInvalid(w.addSymlink("s", std::string("a\0b", 3)), "NUL");
  CHECK(w.addSymlink("s", std::string(100, 't')).isOk());

  // Failed calls left nothing behind: the archive equals one built without them.
  TarWriter clean;
  REQUIRE(clean.addFile("keep", 0644, "k").isOk());
  REQUIRE(clean.addSymlink("s", std::string(100, 't')).isOk());
  CHECK(w.finish() == clean.finish());
}

TEST_CASE("TarWriter::finish empties the writer for reuse", "[tar_writer]") {
  TarWriter w;
  CHECK(w.finish() == std::string(1024, '\0'));
  REQUIRE(w.addFile("a", 0644, "1").isOk());
  std::string first = w.finish();
  CHECK(first.size() == 512 * 4);
  REQUIRE(w.addFile("a", 0644, "1").isOk());
  CHECK(w.finish() == first);
}

}  // namespace
}  // namespace dockershim::common
