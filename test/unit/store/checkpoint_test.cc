#include "store/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "unit/temp_dir.h"

namespace dockershim::store {
namespace {

namespace fs = std::filesystem;

using test::readFile;
using test::TempDir;
using test::writeFile;

std::set<std::string> dirEntries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

SandboxCheckpoint sample() {
  SandboxCheckpoint cp;
  cp.name = "nginx";
  cp.podNamespace = "default";
  cp.portMappings = {{"tcp", 80, 8080, "127.0.0.1"}, {"udp", 53, 5353, ""}};
  cp.hostNetwork = true;
  return cp;
}

// cri-dockerd's checksums: FNV-1a 32 over go-spew's text of its CheckpointData. The first four
// were computed by running go-spew 1.1.1 and hash/fnv on copies of cri-dockerd's structs; the
// others follow the same rules (computed in Python).
constexpr uint32_t kEmptyDataChecksum = 2305795928u;    // no ports, not host network
constexpr uint32_t kHostNetworkChecksum = 12315789u;    // host_network true
constexpr uint32_t kTwoMappingsChecksum = 2195515454u;  // tcp 80->127.0.0.1:8080, udp 53->0
constexpr uint32_t kEmptyListChecksum = 3930330829u;    // "port_mappings":[]
constexpr uint32_t kSampleDataChecksum = 1689792423u;   // sample()'s data
// What earlier dockershim builds wrote (FNV-1a 32 over the compact `data` JSON).
constexpr uint32_t kLegacySampleChecksum = 1526680000u;
constexpr uint32_t kLegacyEmptyChecksum = 1415952421u;

TEST_CASE("checkpointChecksum is cri-dockerd's, byte for byte", "[checkpoint]") {
  SandboxCheckpoint cp;
  CHECK(checkpointChecksum(cp) == kEmptyDataChecksum);
  cp.hostNetwork = true;
  CHECK(checkpointChecksum(cp) == kHostNetworkChecksum);
  cp.hostNetwork = false;
  cp.portMappings = {{"tcp", 80, 8080, "127.0.0.1"}, {"udp", 53, 0, ""}};
  CHECK(checkpointChecksum(cp) == kTwoMappingsChecksum);
  // Name and namespace are not part of it.
  cp.name = "other";
  cp.podNamespace = "elsewhere";
  CHECK(checkpointChecksum(cp) == kTwoMappingsChecksum);
  CHECK(checkpointChecksum(sample()) == kSampleDataChecksum);
  CHECK(legacyChecksum(sample()) == kLegacySampleChecksum);
}

TEST_CASE("encodeCheckpoint writes cri-dockerd's layout, keys in its order", "[checkpoint]") {
  CHECK(encodeCheckpoint(sample()) ==
        R"({"version":"v1","name":"nginx","namespace":"default","data":{"port_mappings":[)"
        R"({"protocol":"tcp","container_port":80,"host_port":8080,"host_ip":"127.0.0.1"},)"
        R"({"protocol":"udp","container_port":53,"host_port":5353}],"host_network":true},)"
        R"("checksum":1689792423})");
}

TEST_CASE("encodeCheckpoint leaves out what Go's omitempty leaves out", "[checkpoint]") {
  SandboxCheckpoint cp;
  cp.name = "p";
  cp.podNamespace = "ns";
  CHECK(encodeCheckpoint(cp) ==
        R"({"version":"v1","name":"p","namespace":"ns","data":{},"checksum":2305795928})");

  // Ports are written even when 0: cri-dockerd's fields are pointers, always set.
  cp.portMappings = {{"sctp", 0, 0, ""}};
  CHECK(encodeCheckpoint(cp).find(
            R"("data":{"port_mappings":[{"protocol":"sctp","container_port":0,"host_port":0}]})") !=
        std::string::npos);
}

TEST_CASE("decodeCheckpoint reads back what encodeCheckpoint writes", "[checkpoint]") {
  std::vector<SandboxCheckpoint> cases = {sample(), SandboxCheckpoint{}};
  SandboxCheckpoint odd;
  odd.name = "quote\"and\\backslash";
  odd.podNamespace = "unicode-\xc3\xa9";
  odd.portMappings = {{"", -1, 2147483647, "::1"}};
  cases.push_back(odd);
  for (const auto& cp : cases) {
    const std::string text = encodeCheckpoint(cp);
    CAPTURE(text);
    auto decoded = decodeCheckpoint(text);
    REQUIRE(decoded.isOk());
    CHECK(decoded->checkpoint == cp);
    CHECK(decoded->checksumMatched);
  }
}

TEST_CASE("decodeCheckpoint reads cri-dockerd's files and matches their checksums",
          "[checkpoint]") {
  SECTION("pod with host ports") {
    // As cri-dockerd's json.Marshal writes it: host_ip only when set, no host_network when
    // false.
    const std::string text =
        R"({"version":"v1","name":"web-7c5ddbdf54-x2x9q","namespace":"default","data":)"
        R"({"port_mappings":[{"protocol":"tcp","container_port":80,"host_port":8080,)"
        R"("host_ip":"127.0.0.1"},{"protocol":"udp","container_port":53,"host_port":0}]},)"
        R"("checksum":2195515454})";
    auto decoded = decodeCheckpoint(text);
    REQUIRE(decoded.isOk());
    CHECK(decoded->checksumMatched);
    SandboxCheckpoint want;
    want.name = "web-7c5ddbdf54-x2x9q";
    want.podNamespace = "default";
    want.portMappings = {{"tcp", 80, 8080, "127.0.0.1"}, {"udp", 53, 0, ""}};
    CHECK(decoded->checkpoint == want);
    // Written back, it is the same text.
    CHECK(encodeCheckpoint(want) == text);
  }
  SECTION("host-network pod") {
    auto decoded =
        decodeCheckpoint(R"({"version":"v1","name":"kube-proxy-abcde","namespace":"kube-system",)"
                         R"("data":{"host_network":true},"checksum":12315789})");
    REQUIRE(decoded.isOk());
    CHECK(decoded->checksumMatched);
    CHECK(decoded->checkpoint.hostNetwork);
    CHECK(decoded->checkpoint.portMappings.empty());
    CHECK(decoded->checkpoint.podNamespace == "kube-system");
  }
  SECTION("an empty list is hashed as Go decodes it: an empty slice, not a nil one") {
    auto decoded = decodeCheckpoint(
        R"({"version":"v1","name":"p","namespace":"n","data":{"port_mappings":[]},)"
        R"("checksum":3930330829})");
    REQUIRE(decoded.isOk());
    CHECK(decoded->checksumMatched);
  }
  SECTION("earlier dockershim builds' checksum is still accepted") {
    auto decoded = decodeCheckpoint(
        R"({"version":"v1","name":"p","namespace":"ns","data":{},"checksum":1415952421})");
    REQUIRE(decoded.isOk());
    CHECK(decoded->checksumMatched);
    CHECK(legacyChecksum(SandboxCheckpoint{}) == kLegacyEmptyChecksum);
  }
  SECTION("dockershim-era file without data, with unknown keys and nulls") {
    auto decoded = decodeCheckpoint(
        R"({"version":"v1","name":"p","namespace":null,"extra":{"x":1},"checksum":7})");
    REQUIRE(decoded.isOk());
    CHECK_FALSE(decoded->checksumMatched);
    CHECK(decoded->checkpoint.name == "p");
    CHECK(decoded->checkpoint.podNamespace.empty());
  }
}

TEST_CASE("decodeCheckpoint notices a changed checksum or changed data", "[checkpoint]") {
  std::string text = encodeCheckpoint(sample());
  SECTION("checksum changed") {
    const auto pos = text.find("1689792423");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 10, "1689792424");
  }
  SECTION("data changed") {
    const auto pos = text.find("8080");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 4, "8081");
  }
  SECTION("checksum missing") {
    const auto pos = text.find(R"(,"checksum")");
    REQUIRE(pos != std::string::npos);
    text = text.substr(0, pos) + "}";
  }
  auto decoded = decodeCheckpoint(text);
  REQUIRE(decoded.isOk());
  CHECK_FALSE(decoded->checksumMatched);
}

TEST_CASE("decodeCheckpoint refuses text that is not a checkpoint", "[checkpoint]") {
  const std::vector<std::string> bad = {
      "",
      "not json",
      R"({"version":"v1","name":"p")",  // truncated
      "[]",
      "\"v1\"",
      "{}",
      R"({"version":"v2","name":"p","namespace":"n","data":{},"checksum":1})",
      R"({"version":1,"name":"p","namespace":"n","data":{},"checksum":1})",
      R"({"version":"v1","name":5,"namespace":"n","data":{},"checksum":1})",
      R"({"version":"v1","name":"p","namespace":["n"],"data":{},"checksum":1})",
      R"({"version":"v1","name":"p","namespace":"n","data":[],"checksum":1})",
      R"({"version":"v1","name":"p","namespace":"n","data":{"port_mappings":{}},"checksum":1})",
      R"({"version":"v1","name":"p","namespace":"n","data":{"port_mappings":[1]},"checksum":1})",
      R"({"version":"v1","data":{"port_mappings":[{"container_port":"80"}]},"checksum":1})",
      R"({"version":"v1","data":{"port_mappings":[{"container_port":80.5}]},"checksum":1})",
      R"({"version":"v1","data":{"port_mappings":[{"host_port":2147483648}]},"checksum":1})",
      R"({"version":"v1","data":{"port_mappings":[{"host_port":-2147483649}]},"checksum":1})",
      R"({"version":"v1","data":{"port_mappings":[{"protocol":6}]},"checksum":1})",
      R"({"version":"v1","data":{"port_mappings":[{"host_ip":false}]},"checksum":1})",
      R"({"version":"v1","data":{"host_network":"true"},"checksum":1})",
      R"({"version":"v1","data":{},"checksum":-1})",
      R"({"version":"v1","data":{},"checksum":1.5})",
      R"({"version":"v1","data":{},"checksum":"1"})",
  };
  for (const auto& text : bad) {
    CAPTURE(text);
    auto decoded = decodeCheckpoint(text);
    REQUIRE_FALSE(decoded.isOk());
    CHECK(decoded.status().code() == Code::kDataLoss);
  }
}

TEST_CASE("CheckpointStore writes <root>/sandbox/<id> and reads it back", "[checkpoint]") {
  TempDir tmp;
  const fs::path root = tmp.file("missing/root");  // created on demand
  CheckpointStore store(root.string());
  CHECK(store.directory() == (root / "sandbox").string());

  auto missing = store.read("abc");
  REQUIRE_FALSE(missing.isOk());
  CHECK(missing.status().code() == Code::kNotFound);

  REQUIRE(store.write("abc", sample()).isOk());
  const fs::path file = root / "sandbox" / "abc";
  CHECK(readFile(file) == encodeCheckpoint(sample()));

  struct stat st {};
  REQUIRE(::stat((root / "sandbox").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  auto read = store.read("abc");
  REQUIRE(read.isOk());
  CHECK(*read == sample());

  SandboxCheckpoint second;
  second.name = "other";
  REQUIRE(store.write("abc", second).isOk());
  REQUIRE(store.read("abc").isOk());
  CHECK(store.read("abc")->name == "other");
}

TEST_CASE("CheckpointStore writes atomically and leaves no temp files", "[checkpoint]") {
  TempDir tmp;
  CheckpointStore store(tmp.path());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(store.write("a", sample()).isOk());
    REQUIRE(store.write("b", SandboxCheckpoint{}).isOk());
  }
  CHECK(dirEntries(tmp.file("sandbox")) == std::set<std::string>{"a", "b"});
}

TEST_CASE("CheckpointStore::list gives checkpoint files only", "[checkpoint]") {
  TempDir tmp;
  CheckpointStore store(tmp.path());
  CHECK(store.list().empty());  // folder not there yet

  for (const char* id : {"c3", "a1", "b2"}) REQUIRE(store.write(id, sample()).isOk());
  const fs::path dir = tmp.file("sandbox");
  REQUIRE(writeFile(dir / ".checkpoint-Ab12Cd", "half a write"));  // a crashed write's temp file
  fs::create_directory(dir / "not-a-checkpoint");
  CHECK(store.list() == std::vector<std::string>{"a1", "b2", "c3"});
}

// Sets the folder's modification time to `ago` before now, as a change by another process
// (cri-dockerd, an operator) at that moment would.
void touchFolder(const fs::path& dir, std::chrono::nanoseconds ago) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const int64_t ns = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec - ago.count();
  timespec times[2] = {{ns / 1'000'000'000, ns % 1'000'000'000},
                       {ns / 1'000'000'000, ns % 1'000'000'000}};
  REQUIRE(::utimensat(AT_FDCWD, dir.c_str(), times, 0) == 0);
}

timespec folderTime(const fs::path& dir) {
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  return st.st_mtim;
}

void setFolderTime(const fs::path& dir, timespec t) {
  timespec times[2] = {t, t};
  REQUIRE(::utimensat(AT_FDCWD, dir.c_str(), times, 0) == 0);
}

TEST_CASE("CheckpointStore::list sees files others add or remove, even within a clock tick",
          "[checkpoint]") {
  TempDir tmp;
  CheckpointStore store(tmp.path());
  for (const char* id : {"a1", "b2"}) REQUIRE(store.write(id, sample()).isOk());
  const fs::path dir = tmp.file("sandbox");

  SECTION("a folder changed long ago is listed once, and again when it changes") {
    touchFolder(dir, std::chrono::seconds(5));
    CHECK(store.list() == std::vector<std::string>{"a1", "b2"});
    REQUIRE(writeFile(dir / "c3", encodeCheckpoint(sample())));  // by another process
    CHECK(store.list() == std::vector<std::string>{"a1", "b2", "c3"});
    fs::remove(dir / "a1");
    CHECK(store.list() == std::vector<std::string>{"b2", "c3"});
    REQUIRE(store.remove("b2").isOk());
    CHECK(store.list() == std::vector<std::string>{"c3"});
  }
  SECTION("a change in the same tick as a listing is seen") {
    // The folder changed a moment ago: a second change in that tick leaves its time alone.
    touchFolder(dir, std::chrono::milliseconds(1));
    const timespec tick = folderTime(dir);
    CHECK(store.list() == std::vector<std::string>{"a1", "b2"});
    REQUIRE(writeFile(dir / "c3", encodeCheckpoint(sample())));
    setFolderTime(dir, tick);
    CHECK(store.list() == std::vector<std::string>{"a1", "b2", "c3"});
  }
  SECTION("a listing is kept while the folder's time stays put") {
    // What keeping means: a file slipped in with the folder's time put back is not read (no
    // real change can do that once the time is in the past).
    touchFolder(dir, std::chrono::seconds(5));
    const timespec old = folderTime(dir);
    CHECK(store.list() == std::vector<std::string>{"a1", "b2"});
    REQUIRE(writeFile(dir / "c3", encodeCheckpoint(sample())));
    setFolderTime(dir, old);
    CHECK(store.list() == std::vector<std::string>{"a1", "b2"});
  }
}

TEST_CASE("CheckpointStore refuses sandbox ids that are not safe file names", "[checkpoint]") {
  TempDir tmp;
  CheckpointStore store(tmp.file("root"));
  REQUIRE(store.write("ok", sample()).isOk());
  const std::vector<std::string> unsafe = {"",
                                           ".",
                                           "..",
                                           ".hidden",
                                           "a/b",
                                           "../escape",
                                           "/abs",
                                           std::string("a\0b", 3),
                                           std::string(256, 'a')};
  for (const auto& id : unsafe) {
    CAPTURE(id);
    CHECK(store.write(id, sample()).code() == Code::kInvalidArgument);
    CHECK(store.read(id).status().code() == Code::kInvalidArgument);
    CHECK(store.remove(id).code() == Code::kInvalidArgument);
  }
  CHECK(dirEntries(tmp.path()) == std::set<std::string>{"root"});
  CHECK(dirEntries(tmp.file("root")) == std::set<std::string>{"sandbox"});
  CHECK(store.list() == std::vector<std::string>{"ok"});
}

TEST_CASE("CheckpointStore::remove is idempotent", "[checkpoint]") {
  TempDir tmp;
  CheckpointStore store(tmp.path());
  CHECK(store.remove("never-written").isOk());  // folder not there yet
  REQUIRE(store.write("x", sample()).isOk());
  CHECK(store.remove("x").isOk());
  CHECK(store.read("x").status().code() == Code::kNotFound);
  CHECK(store.remove("x").isOk());
  CHECK(store.list().empty());
}

TEST_CASE("CheckpointStore removes a file that does not decode", "[checkpoint]") {
  TempDir tmp;
  CheckpointStore store(tmp.path());
  REQUIRE(store.write("keep", sample()).isOk());
  const fs::path dir = tmp.file("sandbox");
  const std::vector<std::string> corrupt = {"", "{\"version\":\"v1\",\"na", "garbage\n",
                                            R"({"version":"v9","data":{}})"};
  for (const auto& text : corrupt) {
    CAPTURE(text);
    REQUIRE(writeFile(dir / "bad", text));
    auto read = store.read("bad");
    REQUIRE_FALSE(read.isOk());
    CHECK(read.status().code() == Code::kNotFound);
    CHECK_FALSE(fs::exists(dir / "bad"));
  }
  CHECK(store.list() == std::vector<std::string>{"keep"});
}

TEST_CASE("CheckpointStore reads a cri-dockerd file and keeps it", "[checkpoint]") {
  TempDir tmp;
  CheckpointStore store(tmp.path());
  const fs::path dir = tmp.file("sandbox");
  fs::create_directory(dir);
  const std::string id = "3f2c8b0e6d5a4b1c9e7f00112233445566778899aabbccddeeff001122334455";
  const std::string text =
      R"({"version":"v1","name":"nginx","namespace":"default","data":{"port_mappings":)"
      R"([{"protocol":"udp","container_port":53,"host_port":53}],"host_network":true},)"
      R"("checksum":2864434397})";
  REQUIRE(writeFile(dir / id, text));

  auto read = store.read(id);
  REQUIRE(read.isOk());
  CHECK(read->name == "nginx");
  CHECK(read->podNamespace == "default");
  CHECK(read->hostNetwork);
  REQUIRE(read->portMappings.size() == 1);
  CHECK(read->portMappings[0] == PortMapping{"udp", 53, 53, ""});
  CHECK(readFile(dir / id) == text);  // a checksum mismatch is not a reason to remove it
  CHECK(store.list() == std::vector<std::string>{id});
}

}  // namespace
}  // namespace dockershim::store
