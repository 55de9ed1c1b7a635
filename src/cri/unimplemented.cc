// RPCs whose issues have not landed yet. kubelet relies on UNIMPLEMENTED (it falls back or
// degrades on exactly that code), so these must not pretend to work.
#include "cri/cri_service.h"

namespace dockershim::cri {

#define DOCKERSHIM_UNIMPLEMENTED(Rpc, fn)                                                  \
  Status CriService::fn(const v1::Rpc##Request&, v1::Rpc##Response*, const CallContext&) { \
    return {Code::kUnimplemented, #Rpc " is not implemented yet"};                         \
  }

DOCKERSHIM_UNIMPLEMENTED(CheckpointContainer, checkpointContainer)

}  // namespace dockershim::cri
