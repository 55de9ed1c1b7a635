#include "cri/container_events.h"

#include <catch2/catch.hpp>

namespace dockershim::cri {
namespace {

const std::string kPod = "pod0000000000000000000000000000000000000000000000000000000000000";

RawEvent ev(const std::string& id, v1::ContainerEventType type, int64_t t, bool sandbox = false) {
  return {id, sandbox ? id : kPod, sandbox, type, t};
}

TEST_CASE("events: Docker's messages of CRI containers and sandboxes", "[events]") {
  auto msg = nlohmann::json::parse(R"({
    "Type": "container", "Action": "start", "timeNano": 1700000000123456789,
    "Actor": {"ID": "c1", "Attributes": {"io.kubernetes.docker.type": "container",
                                         "io.kubernetes.sandbox.id": "p1", "name": "k8s_x"}}})");
  auto e = rawEventFromDocker(msg);
  REQUIRE(e);
  CHECK(e->id == "c1");
  CHECK(e->sandboxId == "p1");
  CHECK_FALSE(e->isSandbox);
  CHECK(e->type == v1::CONTAINER_STARTED_EVENT);
  CHECK(e->timeNanos == 1700000000123456789);

  msg["Action"] = "destroy";
  msg["Actor"]["Attributes"]["io.kubernetes.docker.type"] = "podsandbox";
  msg.erase("timeNano");
  msg["time"] = 1700000001;
  e = rawEventFromDocker(msg);
  REQUIRE(e);
  CHECK(e->isSandbox);
  CHECK(e->sandboxId == "c1");
  CHECK(e->type == v1::CONTAINER_DELETED_EVENT);
  CHECK(e->timeNanos == 1700000001'000'000'000);

  msg["Action"] = "die";
  CHECK(rawEventFromDocker(msg)->type == v1::CONTAINER_STOPPED_EVENT);
  msg["Action"] = "create";
  CHECK(rawEventFromDocker(msg)->type == v1::CONTAINER_CREATED_EVENT);
  msg["Action"] = "exec_start: sh";
  CHECK_FALSE(rawEventFromDocker(msg));
  msg["Action"] = "start";
  msg["Actor"]["Attributes"].erase("io.kubernetes.docker.type");
  CHECK_FALSE(rawEventFromDocker(msg));  // not ours
  msg["Type"] = "network";
  CHECK_FALSE(rawEventFromDocker(msg));
  CHECK_FALSE(rawEventFromDocker(nlohmann::json::array()));
  // A container without its sandbox label is not a CRI container.
  CHECK_FALSE(rawEventFromDocker(nlohmann::json::parse(R"({"Type": "container",
    "Action": "start", "Actor": {"ID": "c", "Attributes":
    {"io.kubernetes.docker.type": "container"}}})")));
}

TEST_CASE("events: list entries as the event of their state", "[events]") {
  auto s = nlohmann::json::parse(R"({"Id": "c1", "State": "running",
    "Labels": {"io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": "p1"}})");
  CHECK(rawEventFromSummary(s, 5)->type == v1::CONTAINER_STARTED_EVENT);
  CHECK(rawEventFromSummary(s, 5)->timeNanos == 5);
  s["State"] = "created";
  CHECK(rawEventFromSummary(s, 5)->type == v1::CONTAINER_CREATED_EVENT);
  s["State"] = "exited";
  CHECK(rawEventFromSummary(s, 5)->type == v1::CONTAINER_STOPPED_EVENT);
  s["State"] = "removing";
  CHECK_FALSE(rawEventFromSummary(s, 5));
}

TEST_CASE("events: each change once and forward; a restart (newer) goes through", "[events]") {
  EventTracker t;
  CHECK(t.accept(ev("c", v1::CONTAINER_CREATED_EVENT, 10)));
  CHECK(t.accept(ev("c", v1::CONTAINER_STARTED_EVENT, 20)));
  CHECK_FALSE(t.accept(ev("c", v1::CONTAINER_STARTED_EVENT, 20)));  // a replay
  CHECK_FALSE(t.accept(ev("c", v1::CONTAINER_CREATED_EVENT, 10)));  // a replay, older
  CHECK(t.accept(ev("c", v1::CONTAINER_STOPPED_EVENT, 30)));
  CHECK(t.accept(ev("c", v1::CONTAINER_STARTED_EVENT, 40)));  // docker restart
  CHECK_FALSE(t.accept(ev("c", v1::CONTAINER_STARTED_EVENT, 35)));
  CHECK(t.accept(ev("c", v1::CONTAINER_DELETED_EVENT, 50)));
  CHECK_FALSE(t.accept(ev("c", v1::CONTAINER_DELETED_EVENT, 50)));
  CHECK_FALSE(t.accept(ev("c", v1::CONTAINER_STOPPED_EVENT, 30)));  // replayed after deletion
}

TEST_CASE("events: resync learns at first, then sends what changed while the stream was lost",
          "[events]") {
  EventTracker t;
  // The first list only learns...
  CHECK(t.resync(
             {ev("a", v1::CONTAINER_STARTED_EVENT, 100), ev("b", v1::CONTAINER_STARTED_EVENT, 100),
              ev(kPod, v1::CONTAINER_STARTED_EVENT, 100, true)},
             100, true)
            .empty());
  // ...but Docker's replay of the second before (its own, earlier times) is still sent, in order.
  CHECK(t.accept(ev("a", v1::CONTAINER_CREATED_EVENT, 90)));
  CHECK(t.accept(ev("a", v1::CONTAINER_STARTED_EVENT, 95)));
  CHECK_FALSE(t.accept(ev("a", v1::CONTAINER_STARTED_EVENT, 95)));

  // Stream lost: "a" stopped, "b" and the sandbox went, "n" appeared.
  auto sent = t.resync(
      {ev("a", v1::CONTAINER_STOPPED_EVENT, 200), ev("n", v1::CONTAINER_STARTED_EVENT, 200)}, 200,
      false);
  REQUIRE(sent.size() == 4);
  CHECK(sent[0].id == "a");
  CHECK(sent[0].type == v1::CONTAINER_STOPPED_EVENT);
  CHECK(sent[1].id == "n");
  CHECK(sent[1].type == v1::CONTAINER_STARTED_EVENT);
  CHECK(sent[2].id == "b");
  CHECK(sent[2].type == v1::CONTAINER_DELETED_EVENT);
  CHECK(sent[2].sandboxId == kPod);
  CHECK(sent[3].id == kPod);  // the sandbox after its containers
  CHECK(sent[3].isSandbox);
  CHECK(sent[3].type == v1::CONTAINER_DELETED_EVENT);
  // Docker then replays what the resync already sent: dropped.
  CHECK_FALSE(t.accept(ev("a", v1::CONTAINER_STOPPED_EVENT, 150)));
  CHECK_FALSE(t.accept(ev("b", v1::CONTAINER_DELETED_EVENT, 150)));
  CHECK_FALSE(t.accept(ev("n", v1::CONTAINER_CREATED_EVENT, 150)));
  // A second resync with nothing new sends nothing; deleted ones are not re-sent.
  CHECK(t.resync(
             {ev("a", v1::CONTAINER_STOPPED_EVENT, 300), ev("n", v1::CONTAINER_STARTED_EVENT, 300)},
             300, false)
            .empty());
  // Tombstones older than a minute are forgotten.
  size_t before = t.size();
  t.resync({ev("a", v1::CONTAINER_STOPPED_EVENT, 300), ev("n", v1::CONTAINER_STARTED_EVENT, 300)},
           200 + 61'000'000'000, false);
  CHECK(t.size() == before - 2);
}

}  // namespace
}  // namespace dockershim::cri
