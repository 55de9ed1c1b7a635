#include "server/wire_convert.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <string>

#include "translate/cri_api.h"

namespace dockershim::server {
namespace {

using google::protobuf::util::MessageDifferencer;

const std::string kImageId =
    "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";

runtime::v1alpha2::ImageStatusResponse alphaImageStatus() {
  runtime::v1alpha2::ImageStatusResponse r;
  auto* img = r.mutable_image();
  img->set_id(kImageId);
  img->add_repo_tags("busybox:latest");
  img->add_repo_tags("busybox:1.36");
  img->add_repo_digests("busybox@sha256:b2c3");
  img->set_size(4261550);
  img->mutable_uid()->set_value(1000);
  img->set_username("");
  img->mutable_spec()->set_image(kImageId);
  (*img->mutable_spec()->mutable_annotations())["io.kubernetes.a"] = "b";
  img->set_pinned(true);
  (*r.mutable_info())["info"] = R"({"imageSpec":{"config":{"User":"1000"}}})";
  (*r.mutable_info())["extra"] = "x";
  return r;
}

TEST_CASE("convertWire carries a v1alpha2 ImageStatusResponse to v1 and back", "[wire_convert]") {
  const auto alpha = alphaImageStatus();

  runtime::v1::ImageStatusResponse v1;
  REQUIRE(convertWire(alpha, &v1).isOk());
  const auto& img = v1.image();
  CHECK(img.id() == kImageId);
  REQUIRE(img.repo_tags_size() == 2);
  CHECK(img.repo_tags(0) == "busybox:latest");
  CHECK(img.repo_tags(1) == "busybox:1.36");
  REQUIRE(img.repo_digests_size() == 1);
  CHECK(img.repo_digests(0) == "busybox@sha256:b2c3");
  CHECK(img.size() == 4261550);
  REQUIRE(img.has_uid());
  CHECK(img.uid().value() == 1000);
  CHECK(img.username().empty());
  CHECK(img.spec().image() == kImageId);
  CHECK(img.spec().annotations().at("io.kubernetes.a") == "b");
  CHECK(img.pinned());
  CHECK(v1.info().size() == 2);
  CHECK(v1.info().at("info") == R"({"imageSpec":{"config":{"User":"1000"}}})");
  CHECK(v1.info().at("extra") == "x");

  runtime::v1alpha2::ImageStatusResponse back;
  REQUIRE(convertWire(v1, &back).isOk());
  CHECK(MessageDifferencer::Equals(back, alpha));
}

TEST_CASE("convertWire keeps a username and an unset uid", "[wire_convert]") {
  runtime::v1alpha2::ImageStatusResponse alpha;
  alpha.mutable_image()->set_id(kImageId);
  alpha.mutable_image()->set_username("nginx");
  runtime::v1::ImageStatusResponse v1;
  REQUIRE(convertWire(alpha, &v1).isOk());
  CHECK(v1.image().username() == "nginx");
  CHECK_FALSE(v1.image().has_uid());
  CHECK(v1.info().empty());

  // uid 0 (root) is a set wrapper with a default value; it must not vanish.
  alpha.mutable_image()->mutable_uid()->set_value(0);
  REQUIRE(convertWire(alpha, &v1).isOk());
  CHECK(v1.image().has_uid());
  CHECK(v1.image().uid().value() == 0);

  // An empty response (image not found) stays empty.
  runtime::v1alpha2::ImageStatusResponse none;
  runtime::v1::ImageStatusResponse v1none;
  v1none.mutable_image()->set_id("stale");
  REQUIRE(convertWire(none, &v1none).isOk());
  CHECK_FALSE(v1none.has_image());
}

TEST_CASE("convertWire carries a v1 PullImageRequest with auth to v1alpha2", "[wire_convert]") {
  runtime::v1::PullImageRequest v1;
  v1.mutable_image()->set_image("localhost:5000/a/b:t");
  (*v1.mutable_image()->mutable_annotations())["k"] = "v";
  auto* auth = v1.mutable_auth();
  auth->set_username("alice");
  auth->set_password("s3cret");
  auth->set_auth("YWxpY2U6czNjcmV0");
  auth->set_server_address("localhost:5000");
  auth->set_identity_token("id-tok");
  auth->set_registry_token("reg-tok");
  v1.mutable_sandbox_config()->mutable_metadata()->set_name("pod");
  v1.mutable_sandbox_config()->mutable_metadata()->set_namespace_("ns");

  runtime::v1alpha2::PullImageRequest alpha;
  REQUIRE(convertWire(v1, &alpha).isOk());
  CHECK(alpha.image().image() == "localhost:5000/a/b:t");
  CHECK(alpha.image().annotations().at("k") == "v");
  CHECK(alpha.auth().username() == "alice");
  CHECK(alpha.auth().password() == "s3cret");
  CHECK(alpha.auth().auth() == "YWxpY2U6czNjcmV0");
  CHECK(alpha.auth().server_address() == "localhost:5000");
  CHECK(alpha.auth().identity_token() == "id-tok");
  CHECK(alpha.auth().registry_token() == "reg-tok");
  CHECK(alpha.sandbox_config().metadata().name() == "pod");
  CHECK(alpha.sandbox_config().metadata().namespace_() == "ns");

  runtime::v1::PullImageRequest back;
  REQUIRE(convertWire(alpha, &back).isOk());
  CHECK(MessageDifferencer::Equals(back, v1));
}

TEST_CASE("convertWire keeps v1-only fields as unknown fields through v1alpha2", "[wire_convert]") {
  runtime::v1::ImageSpec v1;
  v1.set_image("busybox");
  v1.set_user_specified_image("busybox:latest");
  v1.set_runtime_handler("runc");

  runtime::v1alpha2::ImageSpec alpha;
  REQUIRE(convertWire(v1, &alpha).isOk());
  CHECK(alpha.image() == "busybox");
  CHECK(alpha.GetReflection()->GetUnknownFields(alpha).field_count() == 2);

  runtime::v1::ImageSpec back;
  REQUIRE(convertWire(alpha, &back).isOk());
  CHECK(back.user_specified_image() == "busybox:latest");
  CHECK(back.runtime_handler() == "runc");
  CHECK(MessageDifferencer::Equals(back, v1));
}

TEST_CASE("convertWire replaces what the target held", "[wire_convert]") {
  runtime::v1alpha2::PullImageResponse alpha;
  alpha.set_image_ref("busybox@sha256:b2c3");
  runtime::v1::PullImageResponse v1;
  v1.set_image_ref("stale");
  REQUIRE(convertWire(alpha, &v1).isOk());
  CHECK(v1.image_ref() == "busybox@sha256:b2c3");
}

TEST_CASE("convertWire reports bytes the target cannot parse as INTERNAL", "[wire_convert]") {
  // ImageSpec.image (field 1, a string) lands on ImageStatusRequest.image (field 1, a message):
  // a length prefix promising 5 bytes with 2 behind it is not a valid ImageSpec.
  runtime::v1::ImageSpec spec;
  spec.set_image(
      std::string("\x0a\x05"
                  "ab",
                  4));
  runtime::v1alpha2::ImageStatusRequest request;
  Status st = convertWire(spec, &request);
  REQUIRE_FALSE(st.isOk());
  CHECK(st.code() == Code::kInternal);
  CHECK_THAT(st.message(), Catch::Contains("runtime.v1.ImageSpec") &&
                               Catch::Contains("runtime.v1alpha2.ImageStatusRequest"));
}

}  // namespace
}  // namespace dockershim::server
