#pragma once

#include <string>
#include <string_view>

#include "dockershim/docker_client.h"
#include "dockershim/status.h"

namespace dockershim::app {

// The static pause program linked into this binary.
std::string_view embeddedPauseBinary();

// The root filesystem tar of the pause image: just /pause.
std::string pauseImageTar();

// Creates `image` in Docker from the embedded pause program when it is missing. Only called
// for the project's own default name: a user-chosen image is never shadowed.
Status ensurePauseImage(docker::DockerClient& docker, const std::string& image,
                        docker::Deadline deadline);

}  // namespace dockershim::app
