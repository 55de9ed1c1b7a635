#include "cri/state_cache.h"

#include <catch2/catch.hpp>
#include <set>

namespace dockershim::cri {
namespace {

nlohmann::json inspectOf(const std::string& id, const std::string& type, const std::string& state) {
  return {{"Id", id},
          {"Name", "/k8s_c_p_ns_uid_0"},
          {"State", {{"Status", state}}},
          {"Config",
           {{"Labels", {{"io.kubernetes.docker.type", type}, {"io.kubernetes.sandbox.id", "p"}}}}}};
}

TEST_CASE("state cache: newer inspects win, older ones are dropped", "[cache]") {
  StateCache cache;
  auto g1 = cache.nextGeneration();
  auto g2 = cache.nextGeneration();
  CHECK(cache.put(inspectOf("aaa1", "container", "running"), g2));
  // An inspect that began earlier but answered later says something older.
  CHECK_FALSE(cache.put(inspectOf("aaa1", "container", "created"), g1));
  auto e = cache.find("aaa1");
  REQUIRE(e);
  CHECK((*e->summary)["State"] == "running");
  CHECK_FALSE(e->sandbox);
  // Not ours: ignored.
  CHECK_FALSE(cache.put(inspectOf("zzz", "", "running"), cache.nextGeneration()));
  CHECK(cache.size() == 1);
}

TEST_CASE("state cache: an erase is not undone by an older inspect", "[cache]") {
  StateCache cache;
  auto before = cache.nextGeneration();
  REQUIRE(cache.put(inspectOf("bbb", "podsandbox", "running"), cache.nextGeneration()));
  auto gone = cache.nextGeneration();
  cache.erase("bbb", gone);
  CHECK_FALSE(cache.find("bbb"));
  CHECK_FALSE(cache.put(inspectOf("bbb", "podsandbox", "exited"), before));
  CHECK_FALSE(cache.find("bbb"));
  // An erase older than the kept entry leaves it.
  auto older = cache.nextGeneration();
  REQUIRE(cache.put(inspectOf("ccc", "container", "running"), cache.nextGeneration()));
  cache.erase("ccc", older);
  CHECK(cache.find("ccc"));
}

TEST_CASE("state cache: ids by prefix when unique; lists by kind", "[cache]") {
  StateCache cache;
  cache.put(inspectOf("abc111", "container", "running"), cache.nextGeneration());
  cache.put(inspectOf("abc222", "container", "exited"), cache.nextGeneration());
  cache.put(inspectOf("def333", "podsandbox", "running"), cache.nextGeneration());
  CHECK(cache.find("abc111"));
  CHECK(cache.find("abc2"));
  CHECK_FALSE(cache.find("abc"));  // ambiguous
  CHECK_FALSE(cache.find(""));
  CHECK_FALSE(cache.find("x"));
  CHECK(cache.find("d")->sandbox);
  CHECK(cache.list(false).size() == 2);
  CHECK(cache.list(true).size() == 1);
  CHECK_FALSE(cache.synced());
  // A list applied while the stream is down does not sync.
  cache.syncFrom(cache.nextGeneration());
  CHECK_FALSE(cache.synced());
  cache.setStreamUp(true);
  auto mark = cache.nextGeneration();
  // Invalidated after the list was asked for: that list does not sync either.
  cache.invalidate();
  cache.syncFrom(mark);
  CHECK_FALSE(cache.synced());
  cache.syncFrom(cache.nextGeneration());
  CHECK(cache.synced());
  cache.invalidate();
  CHECK_FALSE(cache.synced());
}

TEST_CASE("state cache: every opening or end of the event stream starts a new epoch", "[cache]") {
  StateCache cache;
  auto e0 = cache.streamEpoch();
  cache.setStreamUp(true);
  auto e1 = cache.streamEpoch();
  CHECK(e1 != e0);
  cache.syncFrom(cache.nextGeneration());
  cache.invalidate();
  cache.syncFrom(cache.nextGeneration());
  CHECK(cache.streamEpoch() == e1);  // lists and invalidations do not
  cache.setStreamUp(false);
  auto e2 = cache.streamEpoch();
  cache.setStreamUp(true);
  CHECK(e2 != e1);
  CHECK(cache.streamEpoch() != e2);
  CHECK(cache.streamEpoch() != e1);
}

TEST_CASE("state cache: images are kept until an image changes", "[cache]") {
  StateCache cache;
  nlohmann::json image = {{"Id", "sha256:1"}, {"RepoTags", {"busybox:latest"}}};
  // Not synced: no event would tell of a change, nothing is kept.
  cache.putImage("sha256:1", image, cache.imageEpoch());
  CHECK_FALSE(cache.findImage("sha256:1"));
  cache.setStreamUp(true);
  cache.syncFrom(cache.nextGeneration());
  REQUIRE(cache.synced());
  cache.putImage("sha256:1", image, cache.imageEpoch());
  REQUIRE(cache.findImage("sha256:1"));
  CHECK((*cache.findImage("sha256:1"))["RepoTags"][0] == "busybox:latest");
  // An inspect asked for before a tag or removal says what was: not kept.
  auto epoch = cache.imageEpoch();
  cache.clearImages();
  CHECK_FALSE(cache.findImage("sha256:1"));
  cache.putImage("sha256:1", image, epoch);
  CHECK_FALSE(cache.findImage("sha256:1"));
  cache.putImage("sha256:1", image, cache.imageEpoch());
  CHECK(cache.findImage("sha256:1"));
  // Losing the event stream (no longer synced) forgets them too.
  cache.invalidate();
  CHECK_FALSE(cache.findImage("sha256:1"));
}

nlohmann::json containerIn(const std::string& id, const std::string& sandbox,
                           const std::string& state) {
  auto inspect = inspectOf(id, "container", state);
  inspect["Config"]["Labels"]["io.kubernetes.sandbox.id"] = sandbox;
  inspect["Config"]["Image"] = "busybox";
  inspect["Image"] = "sha256:" + std::string(64, 'b');
  inspect["Created"] = "2026-12-07T10:00:00.5Z";
  return inspect;
}

TEST_CASE("state cache: entries carry what the lists send, found by id and pod index", "[cache]") {
  StateCache cache;
  cache.put(containerIn("c1aa", "s1", "running"), cache.nextGeneration());
  cache.put(containerIn("c1bb", "s1", "exited"), cache.nextGeneration());
  cache.put(containerIn("c2aa", "s2", "running"), cache.nextGeneration());
  auto sandbox = inspectOf("s1", "podsandbox", "running");
  sandbox["Name"] = "/k8s_POD_web_default_uid1_0";
  cache.put(sandbox, cache.nextGeneration());

  auto e = cache.find("c1aa");
  REQUIRE(e);
  REQUIRE(e->container);
  CHECK(e->container->id() == "c1aa");
  CHECK(e->container->pod_sandbox_id() == "s1");
  CHECK(e->container->state() == runtime::v1::CONTAINER_RUNNING);
  CHECK(e->container->image().image() == "busybox");
  CHECK(e->container->metadata().name() == "c");
  CHECK_FALSE(e->podSandbox);
  auto s = cache.find("s1");
  REQUIRE(s);
  REQUIRE(s->podSandbox);
  CHECK(s->podSandbox->metadata().name() == "web");
  CHECK(s->podSandbox->state() == runtime::v1::SANDBOX_READY);

  auto ids = [](const std::vector<StateCache::Entry>& entries) {
    std::set<std::string> out;
    for (const auto& e : entries) out.insert(e.container ? e.container->id() : "?");
    return out;
  };
  CHECK(ids(cache.list(false)) == std::set<std::string>{"c1aa", "c1bb", "c2aa"});
  CHECK(ids(cache.list(false, "c1")) == std::set<std::string>{"c1aa", "c1bb"});
  CHECK(ids(cache.list(false, "", "s1")) == std::set<std::string>{"c1aa", "c1bb"});
  CHECK(ids(cache.list(false, "", "s")) == std::set<std::string>{"c1aa", "c1bb", "c2aa"});
  CHECK(ids(cache.list(false, "c1b", "s1")) == std::set<std::string>{"c1bb"});
  CHECK(cache.list(false, "", "s3").empty());
  CHECK(cache.list(false, "zz").empty());
  CHECK(cache.list(true, "s").size() == 1);

  // The index follows replacements and erases.
  cache.put(containerIn("c1aa", "s1", "exited"), cache.nextGeneration());
  CHECK(cache.find("c1aa")->container->state() == runtime::v1::CONTAINER_EXITED);
  cache.erase("c1bb", cache.nextGeneration());
  CHECK(ids(cache.list(false, "", "s1")) == std::set<std::string>{"c1aa"});
  cache.erase("c1aa", cache.nextGeneration());
  CHECK(cache.list(false, "", "s1").empty());
  CHECK(ids(cache.list(false)) == std::set<std::string>{"c2aa"});

  // An entry whose name is not a CRI name is kept (Docker has it) but lists nothing.
  auto odd = containerIn("c9", "s1", "running");
  odd["Name"] = "/not-a-kube-name";
  REQUIRE(cache.put(odd, cache.nextGeneration()));
  CHECK(cache.find("c9"));
  CHECK_FALSE(cache.find("c9")->container);
}

TEST_CASE("state cache: the image list is current until an image changes", "[cache]") {
  StateCache cache;
  nlohmann::json listed = nlohmann::json::array(
      {{{"Id", "sha256:" + std::string(64, 'a')}, {"RepoTags", {"busybox:latest"}}}});
  auto images = std::make_shared<const ImageSet>(listed, std::vector<std::string>{});
  cache.putImageSet(images, cache.imageEpoch());
  CHECK_FALSE(cache.imageSet());  // not synced: no event would tell of a change
  cache.setStreamUp(true);
  cache.syncFrom(cache.nextGeneration());
  cache.putImageSet(images, cache.imageEpoch());
  REQUIRE(cache.imageSet());
  CHECK(cache.imageSet()->size() == 1);
  // Listed before a change: says what was, not kept.
  auto epoch = cache.imageEpoch();
  cache.clearImages();
  CHECK_FALSE(cache.imageSet());
  cache.putImageSet(images, epoch);
  CHECK_FALSE(cache.imageSet());
  cache.putImageSet(images, cache.imageEpoch());
  CHECK(cache.imageSet());
  cache.invalidate();
  CHECK_FALSE(cache.imageSet());
  // An image's user is fixed by its ID: kept across changes.
  cache.putImageUser("sha256:x", translate::ImageUser{.uid = 1000});
  cache.clearImages();
  REQUIRE(cache.imageUser("sha256:x"));
  CHECK(cache.imageUser("sha256:x")->uid == 1000);
  CHECK_FALSE(cache.imageUser("sha256:y"));
}

TEST_CASE("StateCache::compact drops members that carry nothing, and only those", "[cache]") {
  auto inspect = nlohmann::json::parse(R"({
    "Id": "abc", "Name": "", "Args": [], "Links": null,
    "State": {"Running": false, "Pid": 0, "Error": "", "Health": {}},
    "HostConfig": {"Memory": 0, "CapAdd": null, "Ulimits": [], "LogConfig": {"Config": {}}},
    "Mounts": [{"Source": "/a", "Mode": "", "RW": true}, {}],
    "Config": {"Labels": {"k": "", "role": "x"}, "Env": ["A="], "Entrypoint": null},
    "HostConfig2": {"Sysctls": {"a": ""}, "Tmpfs": {}}
  })");
  StateCache::compact(inspect);
  CHECK(inspect == nlohmann::json::parse(R"({
    "Id": "abc",
    "State": {"Running": false, "Pid": 0},
    "HostConfig": {},
    "Mounts": [{"Source": "/a", "RW": true}, {}],
    "Config": {"Labels": {"k": "", "role": "x"}, "Env": ["A="]},
    "HostConfig2": {"Sysctls": {"a": ""}}
  })"));
}

TEST_CASE("StateCache::compact drops HostConfig's zeros and the folders no reader asks for",
          "[cache]") {
  auto inspect = nlohmann::json::parse(R"({
    "Id": "abc", "HostsPath": "/d/hosts", "HostnamePath": "/d/hostname",
    "ResolvConfPath": "/d/resolv.conf", "LogPath": "/d/abc-json.log",
    "State": {"Running": false, "ExitCode": 0, "OOMKilled": false},
    "HostConfig": {"Memory": 0, "CpuShares": 2, "Privileged": false, "ReadonlyRootfs": true,
                   "OomScoreAdj": -998, "CpuQuota": 0.0, "NetworkMode": "none",
                   "LogConfig": {"Type": "json-file", "MaxFiles": 0}},
    "Mounts": [{"Source": "/a", "RW": false}],
    "GraphDriver": {"Name": "overlay2", "Data": {"LowerDir": "/l1:/l2", "MergedDir": "/m",
                                                 "UpperDir": "/u", "WorkDir": "/w"}}
  })");
  StateCache::compact(inspect);
  CHECK(inspect == nlohmann::json::parse(R"({
    "Id": "abc", "ResolvConfPath": "/d/resolv.conf", "LogPath": "/d/abc-json.log",
    "State": {"Running": false, "ExitCode": 0, "OOMKilled": false},
    "HostConfig": {"CpuShares": 2, "ReadonlyRootfs": true, "OomScoreAdj": -998,
                   "NetworkMode": "none", "LogConfig": {"Type": "json-file", "MaxFiles": 0}},
    "Mounts": [{"Source": "/a", "RW": false}],
    "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": "/u"}}
  })"));
}

}  // namespace
}  // namespace dockershim::cri
