#include "migrate/images.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "common/json_util.h"
#include "docker/url.h"
#include "translate/labels.h"
#include "translate/naming.h"

namespace dockershim::migrate {

namespace {

using json = nlohmann::json;

std::vector<std::string> tagsOf(const json& inspect) {
  std::vector<std::string> tags;
  const json& repoTags = common::jsonMember(inspect, "RepoTags");
  if (!repoTags.is_array()) return tags;
  for (const auto& t : repoTags) {
    if (t.is_string() && t != "<none>:<none>") tags.push_back(t.get<std::string>());
  }
  return tags;
}

std::string podOf(const json& container) {
  const json& labels = common::jsonMember(container, "Labels");
  std::string ns = common::jsonString(labels, "io.kubernetes.pod.namespace", "");
  std::string pod = common::jsonString(labels, "io.kubernetes.pod.name", "");
  if (pod.empty()) {
    const json& names = common::jsonMember(container, "Names");
    if (names.is_array() && !names.empty() && names[0].is_string()) {
      std::string name = names[0].get<std::string>();
      if (!name.empty() && name[0] == '/') name.erase(0, 1);
      if (auto k = translate::parseKubeName(name); k) {
        ns = k->podNamespace;
        pod = k->pod;
      }
    }
  }
  return ns + "/" + pod;
}

void addUse(ImageToCarry& image, const std::string& who) {
  if (std::find(image.usedBy.begin(), image.usedBy.end(), who) == image.usedBy.end()) {
    image.usedBy.push_back(who);
  }
}

// Writes all of `data` to the non-blocking `fd` by `deadline`: UNAVAILABLE when the reader went
// away, DEADLINE_EXCEEDED when it stopped reading.
Status writeAll(int fd, std::string_view data, docker::Deadline deadline) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - docker::Clock::now());
      if (left.count() <= 0) return Status(Code::kDeadlineExceeded, "ctr stopped reading");
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
      continue;
    }
    if (n <= 0) return Status(Code::kUnavailable, "ctr stopped reading");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

}  // namespace

CarryPlan planCarry(const json& containers,
                    const std::function<json(const std::string&)>& inspectImage,
                    const std::string& sandboxImage) {
  CarryPlan plan;
  std::map<std::string, size_t> byId;
  auto use = [&](const std::string& ref, const std::string& who) {
    json inspect = inspectImage(ref);
    if (!inspect.is_object()) {
      plan.skipped.push_back(ref + " (used by " + who + "): Docker no longer has it");
      return;
    }
    std::string id = common::jsonString(inspect, "Id", ref);
    auto it = byId.find(id);
    if (it != byId.end()) {
      addUse(plan.images[it->second], who);
      return;
    }
    auto tags = tagsOf(inspect);
    if (tags.empty()) {
      plan.skipped.push_back(ref + " (used by " + who +
                             "): it has no tag, so containerd could not name it; "
                             "containerd pulls it by digest on first use");
      return;
    }
    byId[id] = plan.images.size();
    plan.images.push_back(ImageToCarry{id, tags, {who}});
  };
  if (!sandboxImage.empty()) use(sandboxImage, "(sandbox)");
  if (containers.is_array()) {
    for (const auto& c : containers) {
      const json& labels = common::jsonMember(c, "Labels");
      std::string type = common::jsonString(labels, translate::kContainerTypeLabel, "");
      if (type != translate::kContainerTypeContainer) continue;  // sandboxes run sandboxImage
      std::string ref = common::jsonString(c, "ImageID", "");
      if (ref.empty()) ref = common::jsonString(c, "Image", "");
      if (ref.empty()) continue;
      use(ref, podOf(c));
    }
  }
  for (auto& image : plan.images) std::sort(image.usedBy.begin(), image.usedBy.end());
  return plan;
}

Result<CarryPlan> planCarry(docker::DockerClient& docker, const std::string& sandboxImage,
                            docker::Deadline deadline) {
  json filters;
  filters["label"] = json::array({translate::kContainerTypeLabel});
  auto list = docker.listContainers(filters, deadline);
  if (!list) return list.status().withContext("list the node's containers");
  std::map<std::string, json> seen;
  Status failure;
  auto inspect = [&](const std::string& ref) -> json {
    if (auto it = seen.find(ref); it != seen.end()) return it->second;
    auto got = docker.inspectImage(ref, deadline);
    json out = got ? *got : json();
    if (!got && got.status().code() != Code::kNotFound && failure.isOk()) failure = got.status();
    seen[ref] = out;
    return out;
  };
  CarryPlan plan = planCarry(*list, inspect, sandboxImage);
  if (!failure.isOk()) return failure.withContext("inspect images");
  return plan;
}

Status carryImages(docker::DockerClient& docker, const CarryPlan& plan,
                   const ContainerdImport& target, docker::Deadline deadline, std::string* output) {
  if (plan.images.empty()) return Status::ok();
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& image : plan.images) {
    for (const auto& name : image.names) query.emplace_back("names", name);
  }

  char logPath[] = "/tmp/dockershim-ctr-XXXXXX";
  int logFd = ::mkostemp(logPath, O_CLOEXEC);
  if (logFd < 0) return {Code::kInternal, std::string("temporary file: ") + std::strerror(errno)};
  ::unlink(logPath);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ::close(logFd);
    return {Code::kInternal, std::string("pipe: ") + std::strerror(errno)};
  }
  std::vector<std::string> argv = {target.ctr,        "--address", target.address, "--namespace",
                                   target.namespace_, "images",    "import",       "-"};
  std::vector<char*> args;  // built before fork: the child only execs
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    ::close(logFd);
    return {Code::kInternal, std::string("fork: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    ::dup2(fds[0], 0);
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    ::execvp(args[0], args.data());
    const char msg[] = "cannot run ctr\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(fds[0]);
  // A reader that quits early must not kill this process.
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);

  docker::Request req;
  req.path = "/images/get" + docker::buildQuery(query);
  req.operation = "save_images";
  bool readerGone = false;
  ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  Status saved = docker.rawStream(req, deadline, std::chrono::minutes(2), [&](std::string_view b) {
    Status st = writeAll(fds[1], b, deadline);
    readerGone = st.code() == Code::kUnavailable;
    return st;
  });
  ::close(fds[1]);
  // ctr finishes unpacking after its input ends; it gets the rest of the deadline, then goes.
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (docker::Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      saved = Status(Code::kDeadlineExceeded, "ctr images import did not finish in time");
      readerGone = false;
      break;
    }
    ::usleep(50 * 1000);
  }
  ::sigaction(SIGPIPE, &old, nullptr);

  std::string log;
  ::lseek(logFd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = ::read(logFd, buf, sizeof buf)) > 0;) {
    log.append(buf, static_cast<size_t>(n));
  }
  ::close(logFd);
  if (output) *output = log;
  bool ctrOk = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!saved.isOk() && !readerGone) return saved.withContext("docker save into ctr");
  if (!ctrOk) {
    while (!log.empty() && (log.back() == '\n' || log.back() == '\r')) log.pop_back();
    return {Code::kUnavailable, "ctr images import into " + target.address + " failed: " + log};
  }
  return Status::ok();
}

}  // namespace dockershim::migrate
