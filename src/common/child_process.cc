#include "common/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace dockershim::common {

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_), term_(other.term_) {
  other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = other.pid_;
    term_ = other.term_;
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { stop(); }

namespace {

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void execChild(char* const* args, int out) {
  ::setpgid(0, 0);
  // The parent's handlers would run here until exec, and swallow a SIGTERM meant for the child.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in >= 0) ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(out, STDERR_FILENO);
  // dup2 onto itself keeps close-on-exec (when the parent had a standard stream closed).
  for (int fd = 0; fd <= 2; ++fd) ::fcntl(fd, F_SETFD, 0);
  ::execvp(args[0], args);
  static const char kFailed[] = "exec failed\n";
  (void)!::write(STDERR_FILENO, kFailed, sizeof kFailed - 1);
  ::_exit(127);
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv,
                                         const std::string& logFile, Term term) {
  if (argv.empty()) return Status(Code::kInvalidArgument, "no command to run");
  int out = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Status(Code::kInternal, "cannot open " + logFile);
  if (out <= STDERR_FILENO) {  // a standard stream of ours was closed: keep clear of 0-2
    int moved = ::fcntl(out, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    ::close(out);
    if (moved < 0) return Status(Code::kInternal, "cannot open " + logFile);
    out = moved;
  }
  // Built before fork: the child allocates nothing.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // No signal is handled in the child before it has reset the handlers.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) execChild(args.data(), out);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(out);
  if (pid < 0) return Status(Code::kInternal, "fork failed");
  ::setpgid(pid, pid);  // also here, so the group exists before anyone signals it
  ChildProcess c;
  c.pid_ = pid;
  c.term_ = term;
  return c;
}

bool ChildProcess::reaped(int& status) {
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {  // ECHILD: someone else reaped it
    if (r < 0) status = 0;
    pid_ = -1;
    return true;
  }
  return false;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  return !reaped(status);
}

bool ChildProcess::waitExit(std::chrono::milliseconds timeout, int& status) {
  if (pid_ <= 0) return false;
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (reaped(status)) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  pid_t group = pid_;
  ::kill(term_ == Term::kGroup ? -group : group, SIGTERM);
  int status = 0;
  if (waitExit(grace, status)) {
    if (term_ == Term::kGroup) ::kill(-group, SIGKILL);  // whatever of its group is left
    return status;
  }
  ::kill(-group, SIGKILL);
  ::kill(group, SIGKILL);
  while (::waitpid(group, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

}  // namespace dockershim::common
