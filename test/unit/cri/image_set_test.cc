#include "cri/image_set.h"

#include <catch2/catch.hpp>

namespace dockershim::cri {
namespace {

const std::string kBusybox = "sha256:" + std::string(60, 'a') + "1111";
const std::string kBusyboxOld = "sha256:" + std::string(60, 'a') + "2222";
const std::string kPause = "sha256:" + std::string(64, 'c');
const std::string kDangling = "sha256:" + std::string(64, 'd');
const std::string kHexNamed = "sha256:" + std::string(64, 'e');
const std::string kDigest = "sha256:" + std::string(64, '9');

// Docker's /images/json, newest first, as Docker 20.10 answers it.
nlohmann::json dockerImages() {
  return nlohmann::json::array({
      {{"Id", kBusybox},
       {"RepoTags", {"busybox:latest", "busybox:1.36", "127.0.0.1:5000/tools/busybox:1.36"}},
       {"RepoDigests", {"127.0.0.1:5000/tools/busybox@" + kDigest}},
       {"Size", 4261550}},
      {{"Id", kBusyboxOld}, {"RepoTags", {"busybox:1.35"}}, {"RepoDigests", nullptr}, {"Size", 10}},
      {{"Id", kPause}, {"RepoTags", {"registry.k8s.io/pause:3.9"}}, {"Size", 700000}},
      {{"Id", kDangling}, {"RepoTags", {"<none>:<none>"}}, {"RepoDigests", {"<none>@<none>"}}},
      // A repository whose name is hex: Docker tries the name before the ID prefix.
      {{"Id", kHexNamed}, {"RepoTags", {"aaaaaaaaaaaa:latest"}}},
  });
}

std::string foundId(const ImageSet& images, std::string_view name) {
  auto found = images.find(name);
  if (found.lookup == ImageSet::Lookup::kAbsent) return "absent";
  if (found.lookup == ImageSet::Lookup::kUnknown) return "unknown";
  return found.image->id();
}

TEST_CASE("image set: names resolve as Docker resolves them", "[images]") {
  ImageSet images(dockerImages(), {"registry.k8s.io/pause:3.9"});
  CHECK(images.size() == 5);
  // References: normalized, ":latest" when there is neither tag nor digest.
  CHECK(foundId(images, "busybox") == kBusybox);
  CHECK(foundId(images, "busybox:latest") == kBusybox);
  CHECK(foundId(images, "docker.io/library/busybox:1.36") == kBusybox);
  CHECK(foundId(images, "docker.io/busybox:1.35") == kBusyboxOld);
  CHECK(foundId(images, "127.0.0.1:5000/tools/busybox:1.36") == kBusybox);
  CHECK(foundId(images, "127.0.0.1:5000/tools/busybox@" + kDigest) == kBusybox);
  CHECK(foundId(images, "127.0.0.1:5000/tools/busybox") == "absent");  // no :latest there
  CHECK(foundId(images, "busybox:1.0") == "absent");
  CHECK(foundId(images, "quay.io/busybox:latest") == "absent");
  // A digest no image lists: Docker decides.
  CHECK(foundId(images, "busybox@" + kDigest) == "unknown");
  // IDs, full or a prefix of 12 or more.
  CHECK(foundId(images, kPause) == kPause);
  CHECK(foundId(images, kPause.substr(7)) == kPause);
  CHECK(foundId(images, kPause.substr(7, 12)) == kPause);
  CHECK(foundId(images, kDangling) == kDangling);
  CHECK(foundId(images, "sha256:" + std::string(64, 'f')) == "absent");
  CHECK(foundId(images, std::string(12, 'f')) == "absent");
  CHECK(foundId(images, std::string(20, 'a')) == "unknown");  // two images start so
  // The hex string is a tag before it is an ID prefix.
  CHECK(foundId(images, "aaaaaaaaaaaa") == kHexNamed);

  auto pause = images.find("registry.k8s.io/pause:3.9");
  REQUIRE(pause.lookup == ImageSet::Lookup::kFound);
  CHECK(pause.image->pinned());
  CHECK(pause.image->size() == 700000);
  CHECK(pause.image->spec().image() == kPause);
  CHECK_FALSE(images.find("busybox").image->pinned());
  CHECK(images.find("busybox").image->repo_tags_size() == 3);
}

std::vector<std::string> tagsOf(const std::vector<runtime::v1::Image>& list) {
  std::vector<std::string> out;
  for (const auto& image : list) {
    std::string entry = image.id().substr(image.id().size() - 4) + ":";
    for (const auto& t : image.repo_tags()) entry += " " + t;
    for (const auto& d : image.repo_digests()) entry += " " + d.substr(0, d.find('@') + 8);
    out.push_back(entry);
  }
  return out;
}

TEST_CASE("image set: ListImages filters as Docker's reference filter", "[images]") {
  ImageSet images(dockerImages(), {"registry.k8s.io/pause:3.9"});
  auto all = images.list("");
  REQUIRE(all);
  REQUIRE(all->size() == 5);
  CHECK((*all)[0].id() == kBusybox);       // Docker's order
  CHECK((*all)[3].repo_tags_size() == 0);  // "<none>" is not a tag
  CHECK((*all)[2].pinned());

  // A name keeps every tag of the repository, and only those.
  auto busybox = images.list("busybox");
  REQUIRE(busybox);
  CHECK(tagsOf(*busybox) ==
        std::vector<std::string>{"1111: busybox:latest busybox:1.36", "2222: busybox:1.35"});
  auto tagged = images.list("busybox:1.35");
  REQUIRE(tagged);
  CHECK(tagsOf(*tagged) == std::vector<std::string>{"2222: busybox:1.35"});
  auto remote = images.list("127.0.0.1:5000/tools/busybox");
  REQUIRE(remote);
  CHECK(tagsOf(*remote) == std::vector<std::string>{"1111: 127.0.0.1:5000/tools/busybox:1.36 "
                                                    "127.0.0.1:5000/tools/busybox@sha256:"});
  auto pause = images.list("registry.k8s.io/pause:3.9");
  REQUIRE(pause);
  REQUIRE(pause->size() == 1);
  CHECK((*pause)[0].pinned());
  auto none = images.list("nginx");
  REQUIRE(none);
  CHECK(none->empty());
  // By ID prefix.
  auto byId = images.list(kPause.substr(7, 12));
  REQUIRE(byId);
  REQUIRE(byId->size() == 1);
  CHECK((*byId)[0].id() == kPause);
  // Patterns and malformed filters: Docker says.
  CHECK_FALSE(images.list("busy*"));
  CHECK_FALSE(images.list("Busybox"));
}

TEST_CASE("image set: a list Docker sent malformed holds nothing", "[images]") {
  ImageSet images(nlohmann::json::object(), {});
  CHECK(images.size() == 0);
  CHECK(images.find("busybox").lookup == ImageSet::Lookup::kAbsent);
  ImageSet partial(nlohmann::json::array({42, {{"RepoTags", {"x:1"}}}, {{"Id", kPause}}}), {});
  CHECK(partial.size() == 1);
  CHECK(foundId(partial, "x:1") == "absent");
}

}  // namespace
}  // namespace dockershim::cri
