#include "network/plugin_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

namespace dockershim::network {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  void closeEnd(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

Status sysError(const std::string& what) {
  return {Code::kInternal, what + ": " + std::strerror(errno)};
}

}  // namespace

Result<ExecOutput> runPlugin(const std::string& binary, const std::vector<std::string>& env,
                             const std::string& stdinText, Clock::time_point deadline,
                             std::size_t maxOutput) {
  // Started only with time left: a plugin killed at once could leave its work half done.
  if (Clock::now() >= deadline) {
    return Status(Code::kDeadlineExceeded, "no time left to run CNI plugin " + binary);
  }
  Pipe in, out, err;
  for (Pipe* p : {&in, &out, &err}) {
    if (::pipe2(p->fd, O_CLOEXEC) != 0) return sysError("pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, default signal handling and an empty mask (the daemon blocks
  // SIGTERM/SIGINT in every thread).
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), nullptr};
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Status(Code::kFailedPrecondition, "run CNI plugin " + binary + ": " + std::strerror(rc));
  }
  in.closeEnd(0);
  out.closeEnd(1);
  err.closeEnd(1);
  ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);

  ExecOutput result;
  size_t written = 0;
  if (stdinText.empty()) in.closeEnd(1);
  bool overflow = false, expired = false, pollFailed = false;
  std::array<char, 16 * 1024> buf{};
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      expired = true;
      break;
    }
    std::vector<pollfd> fds;
    if (in.fd[1] >= 0) fds.push_back({in.fd[1], POLLOUT, 0});
    if (out.fd[0] >= 0) fds.push_back({out.fd[0], POLLIN, 0});
    if (err.fd[0] >= 0) fds.push_back({err.fd[0], POLLIN, 0});
    int n =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 60000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in.fd[1]) {
        ssize_t w = ::write(in.fd[1], stdinText.data() + written, stdinText.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) written = stdinText.size();  // EPIPE
        if (written >= stdinText.size()) in.closeEnd(1);
        continue;
      }
      Pipe& pipe = p.fd == out.fd[0] ? out : err;
      std::string& into = p.fd == out.fd[0] ? result.stdoutText : result.stderrText;
      ssize_t r = ::read(p.fd, buf.data(), buf.size());
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) {
        pipe.closeEnd(0);
        continue;
      }
      into.append(buf.data(), static_cast<size_t>(r));
      if (into.size() > maxOutput) overflow = true;
    }
    if (overflow) break;
  }
  if (!expired && !overflow && (out.fd[0] >= 0 || err.fd[0] >= 0)) overflow = pollFailed = true;
  // A plugin may close its output and still not exit: it is waited for until the deadline only.
  int status = 0;
  bool reaped = false;
  while (!expired && !overflow) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      reaped = true;
      break;
    }
    if (w < 0 && errno != EINTR) break;
    if (Clock::now() >= deadline) {
      expired = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!reaped) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (expired) {
    return Status(Code::kDeadlineExceeded, "CNI plugin " + binary + " did not finish in time");
  }
  if (pollFailed) return Status(Code::kInternal, "CNI plugin " + binary + ": poll failed");
  if (overflow) {
    return Status(Code::kResourceExhausted, "CNI plugin " + binary + " printed more than " +
                                                std::to_string(maxOutput) + " bytes");
  }
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return result;
}

}  // namespace dockershim::network
