#pragma once

#include <functional>
#include <string>

#include "dockershim/status.h"

namespace dockershim::common {

// Runs `fn` on a thread of its own that has entered the network namespace at `nsPath`
// (/proc/<pid>/ns/net or a bind-mounted namespace file) and returns its Status. setns changes
// only the calling thread, and that thread ends with `fn`: the daemon's other threads never
// change namespace. Sockets made inside keep that namespace for life. UNAVAILABLE when the
// namespace cannot be opened or entered (the process is gone), RESOURCE_EXHAUSTED when no
// thread can be started. `fn` must not throw.
Status runInNetworkNamespace(const std::string& nsPath, const std::function<Status()>& fn);

}  // namespace dockershim::common
