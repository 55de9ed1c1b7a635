// Lists served from memory send entries in the form they were serialised in when kept.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>

#include "cri/cri_service.h"

namespace dockershim::cri {
namespace {

v1::Container container(const std::string& id, const std::string& label) {
  v1::Container c;
  c.set_id(id);
  c.set_pod_sandbox_id("pod-" + id);
  c.mutable_metadata()->set_name("app");
  c.mutable_metadata()->set_attempt(2);
  c.mutable_image()->set_image("busybox:latest");
  c.set_image_ref("sha256:" + std::string(64, 'a'));
  c.set_state(v1::CONTAINER_RUNNING);
  c.set_created_at(1'700'000'000'000'000'000);
  (*c.mutable_labels())["app"] = label;
  (*c.mutable_labels())["empty"] = "";
  (*c.mutable_annotations())["note"] = std::string(300, 'x');
  return c;
}

TEST_CASE("serialised list entries read back as the entries themselves", "[cache]") {
  v1::ListContainersResponse expected;
  v1::ListContainersResponse sent;
  for (int i = 0; i < 3; ++i) {
    auto c = container("c" + std::to_string(i), "l" + std::to_string(i));
    *expected.add_containers() = c;
    appendSerialized(&sent, v1::ListContainersResponse::kContainersFieldNumber,
                     c.SerializeAsString());
  }
  CHECK(sent.containers_size() == 0);  // in process: not messages
  const std::string bytes = sent.SerializeAsString();
  v1::ListContainersResponse received;
  REQUIRE(received.ParseFromString(bytes));
  REQUIRE(received.containers_size() == 3);
  CHECK(received.containers(2).labels().at("app") == "l2");
  CHECK(received.containers(1).annotations().at("note").size() == 300);
  CHECK(google::protobuf::util::MessageDifferencer::Equals(received, expected));

  v1::ListPodSandboxResponse pods;
  v1::PodSandbox pod;
  pod.set_id("p");
  pod.set_state(v1::SANDBOX_NOTREADY);
  appendSerialized(&pods, v1::ListPodSandboxResponse::kItemsFieldNumber, pod.SerializeAsString());
  v1::ListPodSandboxResponse podsReceived;
  REQUIRE(podsReceived.ParseFromString(pods.SerializeAsString()));
  REQUIRE(podsReceived.items_size() == 1);
  CHECK(podsReceived.items(0).state() == v1::SANDBOX_NOTREADY);
}

}  // namespace
}  // namespace dockershim::cri
