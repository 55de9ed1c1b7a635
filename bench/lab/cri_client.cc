#include "cri_client.h"

namespace dockershim::lab {

std::string grpcTarget(const std::string& endpoint) {
  if (!endpoint.empty() && endpoint.front() == '/') return "unix://" + endpoint;
  return endpoint;
}

CriClient::CriClient(const std::string& endpoint, std::chrono::milliseconds timeout)
    : endpoint_(endpoint), timeout_(timeout) {
  grpc::ChannelArguments args;
  // The kubelet's limit: lists of many containers are large.
  args.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  channel_ =
      grpc::CreateCustomChannel(grpcTarget(endpoint), grpc::InsecureChannelCredentials(), args);
  runtime_ = v1::RuntimeService::NewStub(channel_);
  images_ = v1::ImageService::NewStub(channel_);
}

}  // namespace dockershim::lab
