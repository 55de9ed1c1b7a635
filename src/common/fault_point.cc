// The fault points of a test build (see fault_point.h); empty in every other build.
#include "common/fault_point.h"

#ifdef DOCKERSHIM_FAULT_POINTS

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace dockershim::common {

namespace {

struct Armed {
  std::string name;
  long hit = 1;  // which hit kills
};

const Armed& armed() {
  static const Armed a = [] {
    Armed out;
    const char* env = std::getenv("DOCKERSHIM_FAULT_POINT");
    if (!env) return out;
    std::string spec(env);
    auto hash = spec.find('#');
    out.name = spec.substr(0, hash);
    if (hash != std::string::npos) out.hit = std::max(1L, std::atol(spec.c_str() + hash + 1));
    return out;
  }();
  return a;
}

std::atomic<long> hits{0};

}  // namespace

void faultPoint(const char* name) {
  const Armed& a = armed();
  if (a.name.empty() || a.name != name) return;
  if (hits.fetch_add(1) + 1 != a.hit) return;
  // write(2), not the logger: nothing buffered may be lost, and no lock may be held.
  std::string line = "dockershim: fault point " + a.name + " reached (hit " +
                     std::to_string(a.hit) + "): killing the process\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  ::kill(::getpid(), SIGKILL);
  ::pause();
}

}  // namespace dockershim::common

#endif
