#include "server/cri_server.h"

#include <fcntl.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace dockershim::server {
namespace {

// A socket file nobody answers on is left over from a crash and can go; one that answers
// belongs to a running daemon and must not be stolen.
Status clearStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::ok();
    return {Code::kFailedPrecondition, "stat " + path + ": " + std::strerror(errno)};
  }
  if (!S_ISSOCK(st.st_mode)) {
    return {Code::kFailedPrecondition, path + " exists and is not a socket"};
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  if (live) return {Code::kFailedPrecondition, "another server is listening on " + path};
  spdlog::info("removing stale socket \"{}\"", path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return {Code::kFailedPrecondition, "remove stale socket " + path + ": " + std::strerror(errno)};
  }
  return Status::ok();
}

// "fd 3, unix:///run/dockershim.sock" for the log.
std::string describeListener(int fd) {
  std::string out = "fd " + std::to_string(fd);
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
      addr.sun_family == AF_UNIX && len > offsetof(sockaddr_un, sun_path) &&
      addr.sun_path[0] != '\0') {
    out += ", unix://" + std::string(addr.sun_path, strnlen(addr.sun_path, sizeof addr.sun_path));
  }
  return out;
}

}  // namespace

CriServer::CriServer(cri::CriService& core, CallSettings settings)
    : runtimeV1_(core, settings),
      imageV1_(core, settings),
      runtimeV1alpha2_(core, settings),
      imageV1alpha2_(core, settings) {}

CriServer::~CriServer() { shutdown(std::chrono::milliseconds(0)); }

void CriServer::configure(grpc::ServerBuilder& builder) {
  builder.RegisterService(&runtimeV1_);
  builder.RegisterService(&imageV1_);
  builder.RegisterService(&runtimeV1alpha2_);
  builder.RegisterService(&imageV1alpha2_);
  // kubelet sends large ListContainers/ListImages answers; match its 16 MiB limit.
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.SetMaxSendMessageSize(16 << 20);
}

Status CriServer::start(const std::string& socketPath) {
  if (socketPath.empty() || socketPath.front() != '/' || socketPath.size() >= 108) {
    return {Code::kInvalidArgument,
            "CRI socket path must be absolute and under 108 bytes: " + socketPath};
  }
  if (Status st = clearStaleSocket(socketPath); !st) return st;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socketPath, grpc::InsecureServerCredentials());
  configure(builder);
  // The socket is created by gRPC; a restrictive umask keeps it from ever being world-open.
  mode_t old = ::umask(0117);
  server_ = builder.BuildAndStart();
  ::umask(old);
  if (!server_) return {Code::kUnavailable, "cannot listen on unix:" + socketPath};
  socketPath_ = socketPath;
  if (::chmod(socketPath.c_str(), 0660) != 0) {
    spdlog::warn("chmod 0660 \"{}\": {}", socketPath, std::strerror(errno));
  }
  spdlog::info("serving CRI (runtime.v1, runtime.v1alpha2) on unix://{}", socketPath);
  return Status::ok();
}

Status CriServer::startOnListeners(std::vector<int> listenFds) {
  listenFds_ = std::move(listenFds);
  if (::pipe2(stopPipe_, O_CLOEXEC) != 0) {
    return {Code::kInternal, std::string("pipe: ") + std::strerror(errno)};
  }
  grpc::ServerBuilder builder;
  configure(builder);
  server_ = builder.BuildAndStart();
  if (!server_) return {Code::kUnavailable, "cannot start the gRPC server"};
  acceptThread_ = std::thread([this] { acceptLoop(); });
  for (int fd : listenFds_) {
    spdlog::info("serving CRI (runtime.v1, runtime.v1alpha2) on the socket systemd passed ({})",
                 describeListener(fd));
  }
  return Status::ok();
}

void CriServer::acceptLoop() {
  // gRPC serves an already connected descriptor; accepting is ours.
  std::vector<pollfd> fds;
  fds.push_back({stopPipe_[0], POLLIN, 0});
  for (int fd : listenFds_) fds.push_back({fd, POLLIN, 0});
  for (;;) {
    int rc = ::poll(fds.data(), fds.size(), -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (fds[0].revents & POLLIN)) return;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      pollfd& p = fds[i];
      if (p.fd < 0) continue;
      if (p.revents & (POLLERR | POLLNVAL)) {
        spdlog::error("activated CRI socket (fd {}) failed; no longer accepting on it", p.fd);
        p.fd = -1;  // poll ignores it from now on
        continue;
      }
      if (!(p.revents & POLLIN)) continue;
      int conn = ::accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (conn < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
          spdlog::warn("accept on the activated CRI socket: {}", std::strerror(errno));
          ::poll(nullptr, 0, 100);  // e.g. EMFILE: do not spin
        }
        continue;
      }
      grpc::AddInsecureChannelFromFd(server_.get(), conn);
    }
  }
}

void CriServer::shutdown(std::chrono::milliseconds grace) {
  if (acceptThread_.joinable()) {
    char b = 1;
    (void)!::write(stopPipe_[1], &b, 1);
    acceptThread_.join();
    ::close(stopPipe_[0]);
    ::close(stopPipe_[1]);
    for (int fd : listenFds_) ::close(fd);
  }
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
  if (!socketPath_.empty()) ::unlink(socketPath_.c_str());
}

}  // namespace dockershim::server
