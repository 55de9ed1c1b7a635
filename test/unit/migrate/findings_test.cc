// Migration readiness detectors: each kind of finding, and what must not trip one.
#include "migrate/findings.h"

#include <catch2/catch.hpp>

namespace dockershim::migrate {
namespace {

ContainerFacts pod(std::string image = "registry.example/app:1") {
  ContainerFacts f;
  f.podNamespace = "default";
  f.pod = "web";
  f.podUid = "uid-1";
  f.container = "app";
  f.image = std::move(image);
  f.imageKnown = true;
  f.imageRepoDigests = {"registry.example/app@sha256:" + std::string(64, 'a')};
  return f;
}

std::vector<Kind> kinds(const std::vector<Finding>& findings) {
  std::vector<Kind> out;
  for (const auto& f : findings) out.push_back(f.kind);
  return out;
}

TEST_CASE("a plain container trips nothing", "[migrate]") {
  auto f = pod();
  f.mounts = {{"/var/lib/kubelet/pods/uid-1/volumes/x", "/data"}, {"/etc/ssl/certs", "/certs"}};
  f.command = {"/app", "--serve"};
  f.labels = {{"app", "web"}};
  f.annotations = {{"kubernetes.io/config.source", "api"}};
  CHECK(inspectContainer(f).empty());
}

TEST_CASE("mounts of Docker's socket, its folder, its data and its configuration", "[migrate]") {
  auto f = pod();
  SECTION("the socket, under either name of /run") {
    for (const char* path : {"/var/run/docker.sock", "/run/docker.sock", "/run//docker.sock/"}) {
      f.mounts = {{path, "/var/run/docker.sock"}};
      auto found = inspectContainer(f);
      REQUIRE(kinds(found) == std::vector<Kind>{Kind::kDockerSocket});
      CHECK(found[0].evidence == std::string("mounts ") + path + " at /var/run/docker.sock");
      CHECK(found[0].pod == "web");
      CHECK(found[0].podNamespace == "default");
      CHECK(found[0].container == "app");
      CHECK(blocks(found[0].kind));
    }
  }
  SECTION("a socket elsewhere named docker.sock") {
    f.mounts = {{"/srv/docker.sock", "/docker.sock"}};
    CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerSocket});
  }
  SECTION("folders that hold the socket: /var/run, /run, /") {
    for (const char* path : {"/var/run", "/run", "/run/", "/"}) {
      f.mounts = {{path, "/host"}};
      auto found = inspectContainer(f);
      REQUIRE(kinds(found) == std::vector<Kind>{Kind::kDockerSocketDir});
      CHECK_FALSE(blocks(found[0].kind));
      CHECK(found[0].evidence.find("holds /run/docker.sock") != std::string::npos);
    }
  }
  SECTION("folders beside it do not count") {
    f.mounts = {{"/run/containerd", "/x"}, {"/var/runner", "/y"}, {"/var/lib/dockerish", "/z"}};
    CHECK(inspectContainer(f).empty());
  }
  SECTION("Docker's data root and what is in it") {
    for (const char* path : {"/var/lib/docker", "/var/lib/docker/containers"}) {
      f.mounts = {{path, "/var/lib/docker/containers"}};
      CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerData});
    }
  }
  SECTION("a data root moved elsewhere (info's DockerRootDir)") {
    f.mounts = {{"/data/docker/containers", "/logs"}, {"/var/lib/docker", "/old"}};
    NodePaths paths;
    paths.dockerRoot = "/data/docker";
    CHECK(kinds(inspectContainer(f, paths)) == std::vector<Kind>{Kind::kDockerData});
  }
  SECTION("folders that hold the data root or the configuration: a review, not a block") {
    f.mounts = {{"/var/lib", "/host-lib"}};
    auto found = inspectContainer(f);
    REQUIRE(kinds(found) == std::vector<Kind>{Kind::kDockerData});
    CHECK_FALSE(found[0].blocking);
    CHECK(found[0].evidence == "mounts /var/lib at /host-lib (holds /var/lib/docker)");
    f.mounts = {{"/var", "/host-var"}};
    CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerData});
    f.mounts = {{"/etc", "/host-etc"}};
    found = inspectContainer(f);
    REQUIRE(kinds(found) == std::vector<Kind>{Kind::kDockerConfig});
    CHECK(found[0].evidence == "mounts /etc at /host-etc (holds /etc/docker)");
    f.mounts = {{"/", "/host"}};  // the socket's folder first: one finding per mount
    CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerSocketDir});
  }
  SECTION("the data root itself blocks") {
    f.mounts = {{"/var/lib/docker", "/d"}};
    auto found = inspectContainer(f);
    REQUIRE(found.size() == 1);
    CHECK(found[0].blocking);
  }
  SECTION("Docker's configuration") {
    f.mounts = {{"/etc/docker", "/etc/docker"}, {"/etc/docker/certs.d", "/certs"}};
    CHECK(kinds(inspectContainer(f)) ==
          std::vector<Kind>{Kind::kDockerConfig, Kind::kDockerConfig});
  }
}

TEST_CASE("Docker CLI and Docker-in-Docker images", "[migrate]") {
  for (const char* image :
       {"docker:24-dind", "docker:cli", "docker", "library/docker:27",
        "registry.example/ci/docker-cli:1", "quay.io/x/dind:latest", "example.com/runner:dind-1"}) {
    INFO(image);
    auto f = pod(image);
    CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerImage});
  }
  for (const char* image : {"busybox", "docker.io/library/nginx:1", "dockerhub.example/app:1",
                            "registry.example/dockerfile-lint:2"}) {
    INFO(image);
    CHECK(inspectContainer(pod(image)).empty());
  }
}

TEST_CASE("privileged containers that run docker", "[migrate]") {
  auto f = pod();
  f.privileged = true;
  SECTION("in the command") {
    f.command = {"/usr/local/bin/docker", "build", "."};
    auto found = inspectContainer(f);
    REQUIRE(kinds(found) == std::vector<Kind>{Kind::kPrivilegedDocker});
    CHECK(found[0].evidence == "privileged, runs: /usr/local/bin/docker build .");
  }
  SECTION("inside a shell line") {
    f.command = {"sh", "-c", "set -e; dockerd & sleep 2 && docker ps"};
    CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kPrivilegedDocker});
  }
  SECTION("not privileged: only what else it trips") {
    f.privileged = false;
    f.command = {"docker", "ps"};
    CHECK(inspectContainer(f).empty());
  }
  SECTION("privileged without docker") {
    f.command = {"sh", "-c", "echo dockerfile; cat /docker-entrypoint.sh"};
    CHECK(inspectContainer(f).empty());
  }
  SECTION("docker as an argument, not a command: cAdvisor, node-exporter") {
    f.command = {"/usr/bin/cadvisor", "--docker_root=/var/lib/docker", "/var/lib/docker",
                 "--docker=unix:///var/run/docker.sock"};
    CHECK(inspectContainer(f).empty());
    f.command = {"sh", "-c", "ls /var/lib/docker && echo docker"};
    CHECK(inspectContainer(f).empty());
  }
  SECTION("docker behind wrappers and assignments in a shell line") {
    for (const char* line :
         {"sudo docker ps", "DOCKER_HOST=tcp://x:2375 docker info",
          "cd /w && exec /usr/bin/dockerd --tls=false", "if true; then docker ps; fi"}) {
      INFO(line);
      f.command = {"/bin/bash", "-c", line};
      CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kPrivilegedDocker});
    }
  }
}

TEST_CASE("images no registry has", "[migrate]") {
  auto f = pod("myapp:dev");
  f.imageRepoDigests.clear();
  auto found = inspectContainer(f);
  REQUIRE(kinds(found) == std::vector<Kind>{Kind::kLocalOnlyImage});
  CHECK(found[0].evidence == "image myapp:dev has no registry digest in Docker's store");
  SECTION("not when the image was not looked up") {
    f.imageKnown = false;
    CHECK(inspectContainer(f).empty());
  }
}

TEST_CASE("log readers that expect Docker's format or ids", "[migrate]") {
  auto f = pod();
  SECTION("a parser annotation naming docker") {
    f.annotations = {{"fluentbit.io/parser", "docker"}};
    auto found = inspectContainer(f);
    REQUIRE(kinds(found) == std::vector<Kind>{Kind::kDockerLogReader});
    CHECK(found[0].evidence == "annotation fluentbit.io/parser=docker");
  }
  SECTION("a format label naming json-file") {
    f.labels = {{"logging.format", "json-file"}};
    CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerLogReader});
  }
  SECTION("a docker:// id in an annotation") {
    f.annotations = {{"example.com/source", "docker://0123abcd"}};
    CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerLogReader});
  }
  SECTION("stock log agents") {
    for (const char* image :
         {"fluent/fluent-bit:2.2", "docker.elastic.co/beats/filebeat:8.1", "grafana/promtail:2.9",
          "datadog/agent:7", "gcr.io/datadoghq/agent:7", "fluentd"}) {
      INFO(image);
      f.image = image;
      auto found = inspectContainer(f);
      REQUIRE(kinds(found) == std::vector<Kind>{Kind::kDockerLogReader});
      CHECK(found[0].evidence == std::string("log agent image ") + image);
    }
  }
  SECTION("agents that read no logs do not count") {
    for (const char* image : {"datadog/cluster-agent:7", "datadog/dogstatsd:7"}) {
      f.image = image;
      CHECK(inspectContainer(f).empty());
    }
  }
  SECTION("other parsers and values do not count") {
    f.annotations = {{"fluentbit.io/parser", "cri"}, {"description", "runs on docker"}};
    CHECK(inspectContainer(f).empty());
  }
}

TEST_CASE("a log shipper trips several kinds, in kind order", "[migrate]") {
  auto f = pod("fluentd:v1");
  f.imageRepoDigests.clear();
  f.mounts = {{"/var/lib/docker/containers", "/var/lib/docker/containers"},
              {"/var/run/docker.sock", "/var/run/docker.sock"}};
  CHECK(kinds(inspectContainer(f)) == std::vector<Kind>{Kind::kDockerSocket, Kind::kDockerData,
                                                        Kind::kLocalOnlyImage,
                                                        Kind::kDockerLogReader});
}

TEST_CASE("an exec past its timeout", "[migrate]") {
  auto f = execOverran(pod(), {"sh", "-c", "sleep 5"}, 1);
  CHECK(f.kind == Kind::kExecTimeout);
  CHECK(f.evidence == "exec `sh -c sleep 5` ran past its 1s timeout");
  CHECK_FALSE(blocks(f.kind));
}

TEST_CASE("evidence is cut on a character, and stays valid UTF-8", "[migrate]") {
  auto f = pod();
  f.privileged = true;
  f.command = {"docker", std::string(200, 'x') + "\xc3\xa9\xc3\xa9\xc3\xa9" + "\xe2\x82\xac"};
  for (size_t pad = 0; pad < 6; ++pad) {
    f.command[1] = std::string(110 + pad, 'x') + "\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x82\xac\xe2\x82\xac";
    auto found = inspectContainer(f);
    REQUIRE(found.size() == 1);
    CHECK_NOTHROW(toJson(found[0]).dump());
    CHECK(found[0].evidence.size() <= 120 + std::string("privileged, runs: …").size());
  }
  // Invalid bytes from a container's own labels do not break the daemon's JSON answer.
  FindingStore store;
  auto g = pod();
  g.annotations = {{"parser", "docker"}, {"x", "docker://\xff\xfe"}};
  store.add("sb", inspectContainer(g));
  CHECK_NOTHROW(nlohmann::json::parse(store.json()));
}

TEST_CASE("findings round-trip through JSON and render as a table", "[migrate]") {
  auto f = pod();
  f.mounts = {{"/var/run/docker.sock", "/var/run/docker.sock"}};
  auto found = inspectContainer(f);
  REQUIRE(found.size() == 1);
  auto j = toJson(found[0]);
  CHECK(j["kind"] == "docker-socket");
  CHECK(j["blocks"] == true);
  CHECK(fromJson(j) == found[0]);
  CHECK_THROWS(fromJson({{"kind", "no-such-kind"}}));

  std::string table = renderTable(found);
  CHECK(table.find("POD") == 0);
  CHECK(table.find("default/web  app        docker-socket  blocks  mounts /var/run/docker.sock") !=
        std::string::npos);
  CHECK(table.find("1 finding(s), 1 block the move to containerd") != std::string::npos);
  CHECK(renderTable({}) == "no findings; nothing blocks the move to containerd\n");
  auto review = execOverran(pod(), {"true"}, 1);
  CHECK(renderTable({review}).find("nothing blocks the move") != std::string::npos);
}

TEST_CASE("the store keeps findings per pod, tells each new one once", "[migrate]") {
  std::vector<std::pair<std::string, bool>> heard;
  FindingStore store([&](const Finding& f, bool first) { heard.emplace_back(f.evidence, first); });
  auto a = pod();
  a.mounts = {{"/run/docker.sock", "/s"}, {"/var/run/docker.sock", "/t"}};
  store.add("sb1", inspectContainer(a));
  store.add("sb1", inspectContainer(a));  // the kubelet recreated the container
  REQUIRE(heard.size() == 2);
  CHECK(heard[0].second);
  CHECK_FALSE(heard[1].second);  // same kind, same pod: counted, not logged again
  store.add("sb2", {execOverran(pod(), {"true"}, 1)});
  store.add("", {execOverran(pod(), {"false"}, 1)});  // no pod id: nothing to forget it by
  CHECK(store.all().size() == 3);
  auto j = nlohmann::json::parse(store.json());
  CHECK(j["findings"].size() == 3);
  store.forget("sb1");
  CHECK(store.all().size() == 1);
}

}  // namespace
}  // namespace dockershim::migrate
