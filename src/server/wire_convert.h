#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "dockershim/status.h"

namespace dockershim::server {

// Converts between runtime.v1alpha2 and runtime.v1 messages through their wire form: the two
// versions share field numbers and types for every field both have, so serialising one and
// parsing as the other is exact; fields only v1 has stay unset going to v1alpha2 clients as
// unknown fields, which their parsers ignore.
inline Status convertWire(const google::protobuf::Message& from, google::protobuf::Message* to) {
  std::string bytes;
  if (!from.SerializeToString(&bytes) || !to->ParseFromString(bytes)) {
    return {Code::kInternal, "convert " + from.GetTypeName() + " to " + to->GetTypeName()};
  }
  return Status::ok();
}

}  // namespace dockershim::server
