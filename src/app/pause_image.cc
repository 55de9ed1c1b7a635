#include "app/pause_image.h"

#include <spdlog/spdlog.h>

#include "common/tar_writer.h"
#include "translate/image_ref.h"

extern "C" const char dockershim_pause_blob[];
extern "C" const char dockershim_pause_blob_end[];

namespace dockershim::app {

std::string_view embeddedPauseBinary() {
  return {dockershim_pause_blob,
          static_cast<size_t>(dockershim_pause_blob_end - dockershim_pause_blob)};
}

std::string pauseImageTar() {
  common::TarWriter tar;
  Status st = tar.addFile("pause", 0755, embeddedPauseBinary());
  (void)st;  // a fixed short name cannot fail
  return tar.finish();
}

Status ensurePauseImage(docker::DockerClient& docker, const std::string& image,
                        docker::Deadline deadline) {
  auto existing = docker.inspectImage(image, deadline);
  if (existing) return Status::ok();
  if (existing.status().code() != Code::kNotFound) {
    return existing.status().withContext("inspect pause image \"" + image + "\"");
  }
  auto ref = translate::parseImageRef(image);
  if (!ref) return ref.status();
  spdlog::info("creating pause image \"{}\" from the embedded pause program", image);
  return docker
      .importImage(pauseImageTar(), ref->repository(), ref->tag,
                   {R"(ENTRYPOINT ["/pause"])", "LABEL io.dockershim.pause=embedded"}, deadline)
      .withContext("create pause image \"" + image + "\"");
}

}  // namespace dockershim::app
