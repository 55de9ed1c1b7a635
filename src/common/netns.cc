#include "common/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

namespace dockershim::common {

Status runInNetworkNamespace(const std::string& nsPath, const std::function<Status()>& fn) {
  int nsFd = ::open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (nsFd < 0) {
    return Status(Code::kUnavailable, "open " + nsPath + ": " + std::strerror(errno));
  }
  Status result = Status::ok();
  std::thread worker;
  try {
    worker = std::thread([&] {
      if (::setns(nsFd, CLONE_NEWNET) != 0) {
        result = Status(Code::kUnavailable,
                        "enter network namespace " + nsPath + ": " + std::strerror(errno));
        return;
      }
      result = fn();
    });
  } catch (const std::system_error& e) {
    ::close(nsFd);
    return Status(Code::kResourceExhausted,
                  std::string("no thread to enter ") + nsPath + ": " + e.what());
  }
  worker.join();
  ::close(nsFd);
  return result;
}

}  // namespace dockershim::common
