#include "cri/cri_service.h"

#include "translate/image_ref.h"

namespace dockershim::cri {

CriService::CriService(std::shared_ptr<docker::DockerClient> docker, Options options)
    : docker_(std::move(docker)), options_(std::move(options)) {
  if (auto ref = translate::parseImageRef(options_.podInfraImage); ref && !ref->tag.empty()) {
    pinnedImages_.push_back(ref->familiarName() + ":" + ref->tag);
  }
}

}  // namespace dockershim::cri
