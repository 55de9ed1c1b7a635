// ImageService end to end: the shim under test against the private dockerd and registry.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/options.h"
#include "app/pause_image.h"
#include "common/base64.h"
#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

bool contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// An image whose config says USER `user`, made from the pause tar (cheap, no registry).
std::string importWithUser(const std::string& repo, const std::string& user) {
  auto& bed = TestBed::get();
  Status st = bed.docker().importImage(app::pauseImageTar(), repo, "1", {"USER " + user},
                                       docker::deadlineIn(60s));
  REQUIRE(st.isOk());
  return repo + ":1";
}

// A TCP listener on 127.0.0.1 that accepts and never answers: a registry that hangs.
struct BlackHole {
  int fd = -1;
  int port = 0;
  std::atomic<bool> stop{false};
  std::thread thread;
  std::vector<int> accepted;
  BlackHole() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    ::listen(fd, 16);
    // Accept and hold every connection, reading nothing and answering nothing.
    thread = std::thread([this] {
      for (;;) {
        int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        accepted.push_back(c);
      }
    });
  }
  ~BlackHole() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
    for (int c : accepted) ::close(c);
  }
};

}  // namespace

TEST_CASE("ImageStatus normalises references as Docker does", "[image]") {
  auto& shim = TestBed::get().shim();
  auto shortName = imageStatus(shim, "busybox");
  REQUIRE(shortName.has_image());
  CHECK(shortName.image().id().rfind("sha256:", 0) == 0);
  CHECK(contains(shortName.image().repo_tags(), "busybox:latest"));
  CHECK(shortName.image().size() > 0);
  for (const char* same :
       {"busybox:latest", "library/busybox", "docker.io/library/busybox:latest"}) {
    auto other = imageStatus(shim, same);
    REQUIRE(other.has_image());
    CHECK(other.image().id() == shortName.image().id());
  }
  // By full ID, and by a short ID prefix as crictl users type it.
  auto byId = imageStatus(shim, shortName.image().id());
  REQUIRE(byId.has_image());
  auto byPrefix = imageStatus(shim, shortName.image().id().substr(7, 12));
  REQUIRE(byPrefix.has_image());
  CHECK(byPrefix.image().id() == shortName.image().id());
}

TEST_CASE("ImageStatus of a missing image is an empty answer, not an error", "[image]") {
  auto& shim = TestBed::get().shim();
  auto resp = imageStatus(shim, "does-not-exist:never");
  CHECK_FALSE(resp.has_image());
  CHECK(resp.info().empty());
}

TEST_CASE("ImageStatus rejects malformed references", "[image]") {
  auto& shim = TestBed::get().shim();
  for (const char* bad : {"UPPER/Case", "foo@sha256:short", "a:b:c", ""}) {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(bad);
    v1::ImageStatusResponse resp;
    Ctx ctx;
    auto s = shim.images->ImageStatus(&ctx, req, &resp);
    INFO(bad << " -> " << describe(s));
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("ImageStatus reports the image user as uid or username, and verbose info", "[image]") {
  auto& shim = TestBed::get().shim();
  for (const char* user : {"1234:5678", "1234"}) {
    auto numeric = imageStatus(shim, importWithUser("e2e/user-numeric", user));
    INFO(user);
    REQUIRE(numeric.has_image());
    REQUIRE(numeric.image().has_uid());
    CHECK(numeric.image().uid().value() == 1234);
    CHECK(numeric.image().username().empty());
  }
  auto withGroup = imageStatus(shim, importWithUser("e2e/user-group", "www-data:www-data"));
  REQUIRE(withGroup.has_image());
  CHECK_FALSE(withGroup.image().has_uid());
  CHECK(withGroup.image().username() == "www-data");

  auto named = imageStatus(shim, importWithUser("e2e/user-named", "www-data"), /*verbose=*/true);
  REQUIRE(named.has_image());
  CHECK_FALSE(named.image().has_uid());
  CHECK(named.image().username() == "www-data");
  REQUIRE(named.info().count("info") == 1);
  auto info = nlohmann::json::parse(named.info().at("info"));
  CHECK(info["imageSpec"]["config"]["User"] == "www-data");
  CHECK(info["imageSpec"]["id"] == named.image().id());
}

TEST_CASE("ListImages lists every image and honours the reference filter", "[image]") {
  auto& shim = TestBed::get().shim();
  auto busybox = imageStatus(shim, "busybox");
  REQUIRE(busybox.has_image());

  v1::ListImagesResponse all;
  {
    Ctx ctx;
    REQUIRE(shim.images->ListImages(&ctx, v1::ListImagesRequest(), &all).ok());
  }
  bool found = false;
  for (const auto& img : all.images()) {
    if (img.id() == busybox.image().id()) {
      found = true;
      CHECK(contains(img.repo_tags(), "busybox:latest"));
      CHECK(img.size() == busybox.image().size());
    }
  }
  CHECK(found);
  CHECK(all.images_size() >= 2);  // busybox and the pause image at least
  // The sandbox image is pinned (kubelet's image GC keeps it); others are not.
  bool sawPause = false;
  for (const auto& img : all.images()) {
    if (contains(img.repo_tags(), app::kDefaultPauseImage)) {
      sawPause = true;
      CHECK(img.pinned());
    } else {
      CHECK_FALSE(img.pinned());
    }
  }
  CHECK(sawPause);

  for (const char* filter : {"busybox", "busybox:latest", "docker.io/library/busybox"}) {
    v1::ListImagesRequest req;
    req.mutable_filter()->mutable_image()->set_image(filter);
    v1::ListImagesResponse filtered;
    Ctx ctx;
    REQUIRE(shim.images->ListImages(&ctx, req, &filtered).ok());
    INFO(filter);
    REQUIRE(filtered.images_size() == 1);
    CHECK(filtered.images(0).id() == busybox.image().id());
  }
  v1::ListImagesRequest byId;
  byId.mutable_filter()->mutable_image()->set_image(busybox.image().id());
  v1::ListImagesResponse idResp;
  Ctx ctx;
  REQUIRE(shim.images->ListImages(&ctx, byId, &idResp).ok());
  REQUIRE(idResp.images_size() == 1);
  CHECK(idResp.images(0).id() == busybox.image().id());
}

// Whether ListImages has an image with this ID.
bool listed(Shim& shim, const std::string& id) {
  v1::ListImagesResponse all;
  Ctx ctx;
  REQUIRE(shim.images->ListImages(&ctx, v1::ListImagesRequest(), &all).ok());
  return std::any_of(all.images().begin(), all.images().end(),
                     [&](const v1::Image& i) { return i.id() == id; });
}

std::vector<std::string> strings(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

TEST_CASE("PullImage by tag, by digest and without a tag, as critest checks them",
          "[image][pull]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  std::string image = bed.registryImage();

  // By tag: image_ref is the image ID (CRI: the same identifier ImageStatus reports), the
  // image has exactly that tag and is listed at once.
  v1::PullImageResponse byTag;
  auto s = pull(shim, image, TestBed::kRegistryUser, TestBed::kRegistryPassword, &byTag);
  INFO(describe(s));
  REQUIRE(s.ok());
  CHECK(byTag.image_ref().rfind("sha256:", 0) == 0);
  auto status = imageStatus(shim, image);
  REQUIRE(status.has_image());
  CHECK(status.image().id() == byTag.image_ref());
  CHECK(strings(status.image().repo_tags()) == std::vector<std::string>{image});
  REQUIRE(status.image().repo_digests_size() == 1);
  std::string digestRef = status.image().repo_digests(0);
  CHECK(digestRef.rfind(bed.registryRepo() + "@sha256:", 0) == 0);
  CHECK(listed(shim, byTag.image_ref()));

  // The same image by ID, by digest and by tag+digest: the same answer in full.
  std::string digest = digestRef.substr(digestRef.find('@') + 1);
  for (const std::string& name : {byTag.image_ref(), digestRef, image + "@" + digest}) {
    auto other = imageStatus(shim, name);
    INFO(name);
    REQUIRE(other.has_image());
    CHECK(other.image().SerializeAsString() == status.image().SerializeAsString());
  }

  REQUIRE(removeImage(shim, byTag.image_ref()).ok());
  CHECK_FALSE(imageStatus(shim, image).has_image());
  CHECK_FALSE(listed(shim, byTag.image_ref()));

  // By digest, through AuthConfig.auth (base64 "user:password" as in a docker config): no
  // tag at all, exactly that digest.
  v1::PullImageRequest req;
  req.mutable_image()->set_image(digestRef);
  req.mutable_auth()->set_auth(common::base64UrlEncode(std::string(TestBed::kRegistryUser) + ":" +
                                                       TestBed::kRegistryPassword));
  v1::PullImageResponse byDigest;
  {
    Ctx ctx(120s);
    auto s2 = shim.images->PullImage(&ctx, req, &byDigest);
    INFO(describe(s2));
    REQUIRE(s2.ok());
  }
  CHECK(byDigest.image_ref() == byTag.image_ref());
  auto digested = imageStatus(shim, digestRef);
  REQUIRE(digested.has_image());
  CHECK(digested.image().repo_tags().empty());
  CHECK(strings(digested.image().repo_digests()) == std::vector<std::string>{digestRef});
  REQUIRE(removeImage(shim, byDigest.image_ref()).ok());

  // Without a tag: ":latest" is meant.
  v1::PullImageResponse latest;
  auto s3 =
      pull(shim, bed.registryRepo(), TestBed::kRegistryUser, TestBed::kRegistryPassword, &latest);
  INFO(describe(s3));
  REQUIRE(s3.ok());
  auto latestStatus = imageStatus(shim, bed.registryRepo() + ":latest");
  REQUIRE(latestStatus.has_image());
  CHECK(latestStatus.image().id() == latest.image_ref());
  CHECK(strings(latestStatus.image().repo_tags()) ==
        std::vector<std::string>{bed.registryRepo() + ":latest"});
  REQUIRE(removeImage(shim, latest.image_ref()).ok());
}

TEST_CASE("PullImage with a wrong password or none fails cleanly and never logs it",
          "[image][pull]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  std::string image = bed.registry() + "/test/busybox:1.0";
  const std::string wrong = "not-the-password-42";
  v1::PullImageResponse resp;
  auto s = pull(shim, image, TestBed::kRegistryUser, wrong, &resp);
  INFO(describe(s));
  CHECK(s.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(s.error_message().find(wrong) == std::string::npos);

  auto anonymous = pull(shim, image, "", "", &resp);
  INFO(describe(anonymous));
  CHECK(anonymous.error_code() == grpc::StatusCode::UNAUTHENTICATED);

  std::string log = readFile(shim.log);
  CHECK(log.find(wrong) == std::string::npos);
  CHECK(log.find(TestBed::kRegistryPassword) == std::string::npos);
  CHECK(log.find("X-Registry-Auth") == std::string::npos);
}

TEST_CASE("PullImage of an unknown image or a malformed reference", "[image][pull]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  v1::PullImageResponse resp;
  auto missing = pull(shim, bed.registry() + "/test/nothing-here:1.0", TestBed::kRegistryUser,
                      TestBed::kRegistryPassword, &resp);
  INFO(describe(missing));
  CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);

  auto missingTag = pull(shim, bed.registry() + "/test/busybox:no-such-tag", TestBed::kRegistryUser,
                         TestBed::kRegistryPassword, &resp);
  INFO(describe(missingTag));
  CHECK(missingTag.error_code() == grpc::StatusCode::NOT_FOUND);

  for (const char* bad :
       {"Bad/Name", "foo::bar", "",
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    auto s = pull(shim, bad, "", "", &resp);
    INFO(bad << " -> " << describe(s));
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("PullImage from a registry that never answers is bounded", "[image][pull][deadline]") {
  auto& bed = TestBed::get();
  BlackHole hole;
  std::string image = "127.0.0.1:" + std::to_string(hole.port) + "/stuck/image:1";

  SECTION("by the client's deadline") {
    v1::PullImageResponse resp;
    auto start = std::chrono::steady_clock::now();
    auto s = pull(bed.shim(), image, "", "", &resp, 3s);
    auto took = std::chrono::steady_clock::now() - start;
    INFO(describe(s));
    CHECK(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
    CHECK(took < 10s);
  }
  SECTION("by --image-pull-progress-deadline when the client sets none") {
    auto shim = bed.startShim({"--image-pull-progress-deadline=2s"}, "shim-pulldeadline");
    v1::PullImageRequest req;
    req.mutable_image()->set_image(image);
    v1::PullImageResponse resp;
    grpc::ClientContext ctx;  // kubelet sets no deadline on pulls
    auto start = std::chrono::steady_clock::now();
    auto s = shim->images->PullImage(&ctx, req, &resp);
    auto took = std::chrono::steady_clock::now() - start;
    INFO(describe(s));
    CHECK(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
    CHECK(s.error_message().find("no progress") != std::string::npos);
    CHECK(took < 20s);
  }
}

TEST_CASE("RemoveImage removes every tag and digest, and is idempotent", "[image][remove]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  std::string image = bed.registryImage();
  v1::PullImageResponse pulled;
  auto s = pull(shim, image, TestBed::kRegistryUser, TestBed::kRegistryPassword, &pulled);
  INFO(describe(s));
  REQUIRE(s.ok());
  // A second tag on the same image, as a user's `docker tag` would add.
  std::string repo = bed.registry() + "/test/busybox";
  auto tag = bed.docker().call({.method = "POST",
                                .path = "/images/" + image + "/tag?repo=" + repo + "&tag=extra",
                                .operation = "tag_image"},
                               docker::deadlineIn(30s));
  REQUIRE(tag);
  REQUIRE(tag->status == 201);
  auto status = imageStatus(shim, image);
  REQUIRE(status.has_image());
  std::string id = status.image().id();
  CHECK(status.image().repo_tags_size() == 2);

  auto removed = removeImage(shim, id);
  INFO(describe(removed));
  REQUIRE(removed.ok());
  CHECK_FALSE(imageStatus(shim, image).has_image());
  CHECK_FALSE(imageStatus(shim, repo + ":extra").has_image());
  CHECK_FALSE(imageStatus(shim, pulled.image_ref()).has_image());
  CHECK_FALSE(imageStatus(shim, id).has_image());
  // The shared busybox layers stay: only this image went.
  CHECK(imageStatus(shim, "busybox").has_image());

  auto again = removeImage(shim, id);
  INFO(describe(again));
  CHECK(again.ok());
  CHECK(removeImage(shim, "never-existed:1").ok());
  // A bare 64-hex ID that never existed, twice (critest's idempotence check).
  const std::string bare(64, 'e');
  CHECK(removeImage(shim, bare).ok());
  CHECK(removeImage(shim, bare).ok());
}

TEST_CASE("concurrent RemoveImage calls by ID all succeed and leave nothing", "[image][remove]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  v1::PullImageResponse pulled;
  auto s =
      pull(shim, bed.registryImage(), TestBed::kRegistryUser, TestBed::kRegistryPassword, &pulled);
  INFO(describe(s));
  REQUIRE(s.ok());
  std::vector<std::thread> threads;
  std::vector<grpc::Status> results(5);
  std::vector<bool> goneAfter(5, false);
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      results[i] = removeImage(shim, pulled.image_ref());
      v1::ImageStatusRequest req;
      req.mutable_image()->set_image(pulled.image_ref());
      v1::ImageStatusResponse resp;
      Ctx ctx;
      goneAfter[i] = shim.images->ImageStatus(&ctx, req, &resp).ok() && !resp.has_image();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 5; ++i) {
    INFO(i << ": " << describe(results[i]));
    CHECK(results[i].ok());
    CHECK(goneAfter[i]);
  }
  CHECK_FALSE(imageStatus(shim, bed.registryImage()).has_image());
}

TEST_CASE("ImageFsInfo reports Docker's image store", "[image]") {
  auto& bed = TestBed::get();
  v1::ImageFsInfoResponse resp;
  Ctx ctx;
  auto s = bed.shim().images->ImageFsInfo(&ctx, v1::ImageFsInfoRequest(), &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  REQUIRE(resp.image_filesystems_size() == 1);
  const auto& fs = resp.image_filesystems(0);
  CHECK(fs.fs_id().mountpoint() == bed.dir() + "/data");
  // At least the busybox binary (~1 MiB+) and its libraries are in the store.
  CHECK(fs.used_bytes().value() > 1000000);
  // Distinct inodes: busybox's hundreds of applet hard links count once.
  CHECK(fs.inodes_used().value() > 20);
  CHECK(fs.timestamp() > 0);
}

TEST_CASE("runtime.v1alpha2 ImageService serves the same answers", "[image][v1alpha2]") {
  auto& shim = TestBed::get().shim();
  auto v1status = imageStatus(shim, "busybox");
  runtime::v1alpha2::ImageStatusRequest req;
  req.mutable_image()->set_image("busybox");
  runtime::v1alpha2::ImageStatusResponse resp;
  Ctx ctx;
  auto s = shim.imagesV1alpha2->ImageStatus(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  REQUIRE(resp.has_image());
  CHECK(resp.image().id() == v1status.image().id());
  CHECK(resp.image().size() == v1status.image().size());

  runtime::v1alpha2::ListImagesResponse list;
  Ctx ctx2;
  REQUIRE(
      shim.imagesV1alpha2->ListImages(&ctx2, runtime::v1alpha2::ListImagesRequest(), &list).ok());
  CHECK(list.images_size() >= 2);

  runtime::v1alpha2::PullImageRequest bad;
  bad.mutable_image()->set_image("Bad/Name");
  runtime::v1alpha2::PullImageResponse badResp;
  Ctx ctx3;
  CHECK(shim.imagesV1alpha2->PullImage(&ctx3, bad, &badResp).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}
