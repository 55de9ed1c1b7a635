// Exec, Attach, PortForward: validate, then hand the request to the streaming server, whose URL
// the client (kubelet, crictl) connects to.
#include "common/json_util.h"
#include "cri/cri_service.h"

namespace dockershim::cri {

namespace {

Status checkStreams(const char* rpc, bool tty, bool in, bool out, bool err) {
  if (!in && !out && !err) {
    return {Code::kInvalidArgument,
            std::string(rpc) + ": one of stdin, stdout and stderr must be requested"};
  }
  // With a TTY the process has one output, which Docker and the protocol carry as stdout.
  if (tty && err) {
    return {Code::kInvalidArgument, std::string(rpc) + ": tty and stderr cannot both be true"};
  }
  return Status::ok();
}

}  // namespace

// The container must exist (NOT_FOUND) and run (FAILED_PRECONDITION): a URL for something
// that cannot be joined would only fail later, on the client's side of a proxy.
Status CriService::requireRunning(const char* rpc, const std::string& id, const CallContext& ctx) {
  if (id.empty()) return {Code::kInvalidArgument, std::string(rpc) + ": container id is empty"};
  auto inspect = docker_->inspectContainer(id, ctx.deadline);
  if (!inspect) return inspect.status().withContext(std::string(rpc) + " \"" + id + "\"");
  if (!common::jsonBool(common::jsonMember(*inspect, "State"), "Running")) {
    return {Code::kFailedPrecondition,
            std::string(rpc) + ": container \"" + id + "\" is not running"};
  }
  return Status::ok();
}

Result<std::string> CriService::streamingUrl(streaming::PendingRequest request) {
  if (!options_.streamingUrl) {
    return Status(Code::kUnavailable, "the streaming server is not running");
  }
  return options_.streamingUrl(std::move(request));
}

Status CriService::exec(const v1::ExecRequest& req, v1::ExecResponse* resp,
                        const CallContext& ctx) {
  if (req.cmd().empty()) return {Code::kInvalidArgument, "exec: cmd is empty"};
  if (Status st = checkStreams("exec", req.tty(), req.stdin(), req.stdout(), req.stderr()); !st) {
    return st;
  }
  if (Status st = requireRunning("exec", req.container_id(), ctx); !st) return st;
  streaming::PendingRequest pending;
  pending.kind = streaming::RequestKind::kExec;
  pending.exec = {req.container_id(), {req.cmd().begin(), req.cmd().end()},
                  req.tty(),          req.stdin(),
                  req.stdout(),       req.stderr()};
  auto url = streamingUrl(std::move(pending));
  if (!url) return url.status();
  resp->set_url(*url);
  return Status::ok();
}

Status CriService::attach(const v1::AttachRequest& req, v1::AttachResponse* resp,
                          const CallContext& ctx) {
  if (Status st = checkStreams("attach", req.tty(), req.stdin(), req.stdout(), req.stderr()); !st) {
    return st;
  }
  if (Status st = requireRunning("attach", req.container_id(), ctx); !st) return st;
  streaming::PendingRequest pending;
  pending.kind = streaming::RequestKind::kAttach;
  pending.exec = {req.container_id(), {}, req.tty(), req.stdin(), req.stdout(), req.stderr()};
  auto url = streamingUrl(std::move(pending));
  if (!url) return url.status();
  resp->set_url(*url);
  return Status::ok();
}

Status CriService::portForward(const v1::PortForwardRequest& req, v1::PortForwardResponse* resp,
                               const CallContext& ctx) {
  const std::string& id = req.pod_sandbox_id();
  if (id.empty()) return {Code::kInvalidArgument, "port forward: pod sandbox id is empty"};
  for (int32_t port : req.port()) {
    if (port <= 0 || port > 65535) {
      return {Code::kInvalidArgument,
              "port forward: port " + std::to_string(port) + " is not in 1-65535"};
    }
  }
  auto sandbox = inspectSandbox(id, ctx);
  if (!sandbox) return sandbox.status().withContext("port forward");
  if (!common::jsonBool(common::jsonMember(**sandbox, "State"), "Running")) {
    return {Code::kFailedPrecondition, "port forward: sandbox \"" + id + "\" is not running"};
  }
  streaming::PendingRequest pending;
  pending.kind = streaming::RequestKind::kPortForward;
  pending.forward = {common::jsonString(**sandbox, "Id", id),
                     {req.port().begin(), req.port().end()}};
  auto url = streamingUrl(std::move(pending));
  if (!url) return url.status();
  resp->set_url(*url);
  return Status::ok();
}

}  // namespace dockershim::cri
