#include "cri/cri_service.h"

namespace dockershim::cri {

CriService::CriService(std::shared_ptr<docker::DockerClient> docker, Options options)
    : docker_(std::move(docker)), options_(std::move(options)) {}

}  // namespace dockershim::cri
