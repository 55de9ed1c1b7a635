// The state cache end to end: after random concurrent operations (and changes made straight
// through Docker), a shim serving from memory answers exactly what a shim asking Docker answers.
#include <algorithm>
#include <random>
#include <thread>

#include "app/pause_image.h"
#include "e2e/pod_util.h"
#include "e2e/unix_proxy.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

std::string listed(Shim& shim) {
  auto pods = listPods(shim);
  auto containers = listContainers(shim);
  std::map<std::string, std::string> byId;
  for (const auto& p : pods) byId["pod " + p.id()] = p.ShortDebugString();
  for (const auto& c : containers) byId["ctr " + c.id()] = c.ShortDebugString();
  std::string out;
  for (const auto& [id, text] : byId)
    out += id + "=" + std::to_string(std::hash<std::string>()(text)) + "\n";
  return out;
}

}  // namespace

TEST_CASE("state cache: the same answers as Docker after random concurrent operations", "[cache]") {
  auto& bed = TestBed::get();
  auto cached = bed.startShim({}, "cache");  // the cache is on by default
  auto direct = bed.startShim({"--state-cache=false"}, "cache-direct");
  REQUIRE(waitForEventStream(*cached));

  std::vector<std::pair<v1::PodSandboxConfig, std::string>> pods;
  for (int p = 0; p < 3; ++p) {
    auto config = podConfig("cache-" + std::to_string(p));
    (*config.mutable_labels())["empty-value"] = "";  // a label, though it says nothing
    pods.emplace_back(config, runPod(*cached, config));
  }
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      listContainers(*cached);
      listPods(*cached);
    }
  });
  std::vector<std::thread> writers;
  std::mutex mu;
  std::vector<std::string> created;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(1234 + w);
      auto& [config, podId] = pods[w];
      std::vector<std::string> mine;
      for (int step = 0; step < 8; ++step) {
        int op = std::uniform_int_distribution<int>(0, 3)(rng);
        if (op <= 1 || mine.empty()) {
          std::string id;
          if (createContainer(*cached, podId, config, containerConfig("c" + std::to_string(step)),
                              &id)
                  .ok()) {
            mine.push_back(id);
            if (op == 0) {
              v1::StartContainerRequest req;
              req.set_container_id(id);
              v1::StartContainerResponse resp;
              Ctx ctx;
              cached->runtime->StartContainer(&ctx, req, &resp);
            }
          }
        } else if (op == 2) {
          stopContainer(*cached, mine.back(), 1);
        } else {
          removeContainer(*cached, mine.back());
          mine.pop_back();
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      created.insert(created.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();

  // Each write's effect is kept before the call returned: no wait needed.
  CHECK(listed(*cached) == listed(*direct));
  for (const auto& id : created) {
    auto a = containerStatus(*cached, id);
    auto b = containerStatus(*direct, id);
    CHECK(a.ShortDebugString() == b.ShortDebugString());
    // Verbose: Docker's documents as Docker sends them (memory keeps them compacted).
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    req.set_verbose(true);
    v1::ContainerStatusResponse va, vb;
    Ctx ca, cb;
    REQUIRE(cached->runtime->ContainerStatus(&ca, req, &va).ok());
    REQUIRE(direct->runtime->ContainerStatus(&cb, req, &vb).ok());
    CHECK(va.ShortDebugString() == vb.ShortDebugString());
    CHECK(va.info().at("info").find("\"VolumeDriver\":\"\"") != std::string::npos);
  }
  for (const auto& [config, podId] : pods) {
    for (bool verbose : {false, true}) {
      v1::PodSandboxStatusResponse a, b;
      REQUIRE(podStatus(*cached, podId, &a, verbose).ok());
      REQUIRE(podStatus(*direct, podId, &b, verbose).ok());
      a.clear_timestamp();
      b.clear_timestamp();
      INFO("verbose " << verbose);
      CHECK(a.ShortDebugString() == b.ShortDebugString());
    }
  }

  // Selected by a label whose value is empty, from memory as from Docker.
  v1::PodSandboxFilter byEmpty;
  (*byEmpty.mutable_label_selector())["empty-value"] = "";
  CHECK(listPods(*cached, byEmpty).size() == pods.size());
  CHECK(listPods(*direct, byEmpty).size() == pods.size());

  // Changed behind dockershim's back: the cache follows Docker's events.
  REQUIRE(!created.empty());
  auto& engine = bed.docker();
  std::string victim = created.front();
  REQUIRE(engine.removeContainer(victim, true, docker::deadlineIn(30s)));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    auto list = listContainers(*cached);
    gone = std::none_of(list.begin(), list.end(),
                        [&](const v1::Container& c) { return c.id() == victim; });
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  CHECK(gone);
  CHECK(listed(*cached) == listed(*direct));

  for (const auto& [config, podId] : pods) cleanupPod(*cached, podId);
  CHECK(listed(*cached) == listed(*direct));
}

TEST_CASE("state cache: a container's image tags follow Docker's image events", "[cache]") {
  auto& bed = TestBed::get();
  auto shim = bed.startShim({}, "cache-image");
  REQUIRE(waitForEventStream(*shim));
  auto& engine = bed.docker();
  // An image of its own (the label makes its ID unique), known by one tag only.
  std::string label = "cachetest=" + std::to_string(::getpid());
  REQUIRE(engine.importImage(app::pauseImageTar(), "cachetest/img", "1", {"LABEL " + label},
                             docker::deadlineIn(60s)));
  auto image = engine.inspectImage("cachetest/img:1", docker::deadlineIn(10s));
  REQUIRE(image);
  std::string imageId = (*image)["Id"];

  auto config = podConfig("cache-image");
  std::string podId = runPod(*shim, config);
  auto container = containerConfig("by-id");
  container.mutable_image()->set_image(imageId);  // as the kubelet creates them
  std::string id;
  REQUIRE(createContainer(*shim, podId, config, container, &id).ok());
  CHECK(containerStatus(*shim, id).image().image() == "cachetest/img:1");

  // Renamed straight through Docker: the next statuses say so once the events are heard.
  docker::Request tag;
  tag.method = "POST";
  tag.path = "/images/" + imageId + "/tag?repo=cachetest/img&tag=2";
  tag.operation = "tag_image";
  tag.verb = docker::Verb::kModify;
  REQUIRE(engine.call(tag, docker::deadlineIn(10s)));
  REQUIRE(engine.removeImage("cachetest/img:1", false, docker::deadlineIn(10s)));
  std::string now;
  for (int i = 0; i < 100 && now != "cachetest/img:2"; ++i) {
    now = containerStatus(*shim, id).image().image();
    if (now != "cachetest/img:2") std::this_thread::sleep_for(50ms);
  }
  CHECK(now == "cachetest/img:2");

  cleanupPod(*shim, podId);
  CHECK(engine.removeImage(imageId, true, docker::deadlineIn(30s)));
}

TEST_CASE("state cache: resources updated straight through Docker show in ContainerStatus",
          "[cache]") {
  auto& bed = TestBed::get();
  auto shim = bed.startShim({}, "cache-update");
  REQUIRE(waitForEventStream(*shim));
  auto config = podConfig("cache-update");
  std::string podId = runPod(*shim, config);
  std::string id = startContainer(*shim, podId, config, containerConfig("updated"));
  CHECK(containerStatus(*shim, id).resources().linux().cpu_shares() != 777);

  // `docker update`: no CRI state changes, only Docker's update event tells of it.
  docker::Request update;
  update.method = "POST";
  update.path = "/containers/" + id + "/update";
  update.body = R"({"CpuShares": 777})";
  update.operation = "update_container";
  update.verb = docker::Verb::kModify;
  REQUIRE(bed.docker().call(update, docker::deadlineIn(10s)));
  int64_t shares = 0;
  for (int i = 0; i < 100 && shares != 777; ++i) {
    shares = containerStatus(*shim, id).resources().linux().cpu_shares();
    if (shares != 777) std::this_thread::sleep_for(50ms);
  }
  CHECK(shares == 777);
  cleanupPod(*shim, podId);
}

namespace {

// What ImageStatus and ListImages answer for the names and filters a kubelet, crictl or a user
// sends, one line each.
std::string imageAnswers(Shim& shim, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(name);
    v1::ImageStatusResponse resp;
    Ctx ctx;
    auto s = shim.images->ImageStatus(&ctx, req, &resp);
    out += "status " + name + " -> " + std::to_string(s.error_code()) + " " +
           resp.image().ShortDebugString() + "\n";
    v1::ListImagesRequest list;
    list.mutable_filter()->mutable_image()->set_image(name);
    v1::ListImagesResponse listed;
    Ctx ctx2;
    s = shim.images->ListImages(&ctx2, list, &listed);
    // Docker orders by creation time; images made in the same second come in either order.
    std::vector<std::string> images;
    for (const auto& image : listed.images()) images.push_back(image.ShortDebugString());
    std::sort(images.begin(), images.end());
    out += "list " + name + " -> " + std::to_string(s.error_code());
    for (const auto& image : images) out += " {" + image + "}";
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("state cache: images answered from memory are Docker's answers, through image changes",
          "[cache][images]") {
  auto& bed = TestBed::get();
  auto cached = bed.startShim({}, "cache-images");
  auto direct = bed.startShim({"--state-cache=false"}, "cache-images-direct");
  REQUIRE(waitForEventStream(*cached));
  auto& engine = bed.docker();
  std::string label = "cacheimages=" + std::to_string(::getpid());
  REQUIRE(engine.importImage(app::pauseImageTar(), "cacheimages/img", "1", {"LABEL " + label},
                             docker::deadlineIn(60s)));
  auto image = engine.inspectImage("cacheimages/img:1", docker::deadlineIn(10s));
  REQUIRE(image);
  std::string id = (*image)["Id"];
  std::string hex = id.substr(7);
  auto busybox = engine.inspectImage("busybox", docker::deadlineIn(10s));
  REQUIRE(busybox);
  std::string busyboxId = (*busybox)["Id"];

  const std::vector<std::string> names = {
      "",
      "busybox",
      "busybox:latest",
      "docker.io/library/busybox:latest",
      "docker.io/busybox",
      "busybox:nosuchtag",
      busyboxId,
      busyboxId.substr(7),
      busyboxId.substr(7, 12),
      "cacheimages/img",
      "cacheimages/img:1",
      "cacheimages/img:2",
      "docker.io/cacheimages/img:1",
      id,
      hex.substr(0, 12),
      hex.substr(0, 20),
      "sha256:" + std::string(64, '0'),
      "000000000000",
      "nosuch/image",
      "busy*",
      "Busybox",
  };
  // Compared as they come: memory follows Docker's events, so wait (bounded) for them.
  auto same = [&] {
    std::string a, b;
    for (int i = 0; i < 100; ++i) {
      a = imageAnswers(*cached, names);
      b = imageAnswers(*direct, names);
      if (a == b) break;
      std::this_thread::sleep_for(50ms);
    }
    INFO("from memory:\n" << a << "from Docker:\n" << b);
    CHECK(a == b);
  };
  same();

  // Tagged, retagged and untagged straight through Docker.
  docker::Request tag;
  tag.method = "POST";
  tag.path = "/images/" + id + "/tag?repo=cacheimages/img&tag=2";
  tag.operation = "tag_image";
  tag.verb = docker::Verb::kModify;
  REQUIRE(engine.call(tag, docker::deadlineIn(10s)));
  same();
  tag.path = "/images/" + id + "/tag?repo=cacheimages/img&tag=latest";
  REQUIRE(engine.call(tag, docker::deadlineIn(10s)));
  same();
  REQUIRE(engine.removeImage("cacheimages/img:1", false, docker::deadlineIn(10s)));
  same();
  // Removed through dockershim: known at once, no event to wait for.
  v1::RemoveImageRequest remove;
  remove.mutable_image()->set_image(id);
  v1::RemoveImageResponse removed;
  Ctx ctx;
  REQUIRE(cached->images->RemoveImage(&ctx, remove, &removed).ok());
  CHECK_FALSE(imageStatus(*cached, id).has_image());
  CHECK_FALSE(imageStatus(*cached, "cacheimages/img:2").has_image());
  same();
}

TEST_CASE("state cache: an image made outside CRI is found before its event is heard", "[cache]") {
  auto& bed = TestBed::get();
  UnixProxy proxy(bed.dir() + "/late-events.sock", bed.dockerSocket());
  auto shim = bed.startShim({"--docker-endpoint=unix://" + proxy.path()}, "cache-late-events");
  REQUIRE(waitForEventStream(*shim));
  auto busybox = imageStatus(*shim, "busybox");
  REQUIRE(busybox.has_image());
  CHECK(listImages(*shim).size() >= 2);  // the image list is kept now
  auto& engine = bed.docker();
  docker::Request tag;
  tag.method = "POST";
  tag.operation = "tag_image";
  tag.verb = docker::Verb::kModify;
  // Events late (a loaded node): the kept list lacks the new names, so "absent" must come from
  // Docker, or kubelet would pull an image the node has.
  proxy.holdEvents(true);
  for (int i = 0; i < 3; ++i) {
    const std::string name = "lateevents/img:" + std::to_string(i);
    tag.path =
        "/images/" + busybox.image().id() + "/tag?repo=lateevents/img&tag=" + std::to_string(i);
    REQUIRE(engine.call(tag, docker::deadlineIn(10s)));
    auto status = imageStatus(*shim, name);
    INFO(name);
    REQUIRE(status.has_image());
    CHECK(status.image().id() == busybox.image().id());
    CHECK(status.image().username() == busybox.image().username());
  }
  CHECK_FALSE(imageStatus(*shim, "lateevents/img:nosuch").has_image());
  proxy.holdEvents(false);
  // Once the events are heard, the list has the names too.
  bool listed = false;
  for (int i = 0; i < 100 && !listed; ++i) {
    listed = listImages(*shim, "lateevents/img:2").size() == 1;
    if (!listed) std::this_thread::sleep_for(50ms);
  }
  CHECK(listed);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(
        engine.removeImage("lateevents/img:" + std::to_string(i), false, docker::deadlineIn(10s)));
  }
}
