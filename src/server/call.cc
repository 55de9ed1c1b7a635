#include "server/call.h"

namespace dockershim::server {

cri::CallContext callContext(const grpc::ServerContext* ctx, const CallSettings& settings,
                             bool longRunning) {
  auto now = std::chrono::steady_clock::now();
  // gRPC reports "no deadline" as a far-future system_clock time.
  auto remaining = ctx->deadline() - std::chrono::system_clock::now();
  bool clientDeadline = remaining < std::chrono::hours(24 * 365);
  cri::CallContext out;
  out.clientDeadline = clientDeadline;
  out.cancelled = [ctx] { return ctx->IsCancelled(); };
  if (longRunning) {
    out.deadline =
        clientDeadline
            ? now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(remaining)
            : now + std::chrono::hours(24);
    return out;
  }
  auto bound = now + settings.requestTimeout;
  if (clientDeadline) {
    auto client = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(remaining);
    out.deadline = std::min(bound, client);
  } else {
    out.deadline = bound;
  }
  return out;
}

}  // namespace dockershim::server
