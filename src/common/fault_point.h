#pragma once

// Fault points for crash-consistency tests: `DS_FAULT_POINT("rpc.step")` marks a place where a
// test may kill the daemon with SIGKILL. They exist only in a build configured with
// -DDOCKERSHIM_FAULT_POINTS=ON (test builds; the package target refuses such a build): there the
// point named by the environment variable DOCKERSHIM_FAULT_POINT ("name", or "name#N" for its
// Nth hit) logs one line to stderr and kills the process. In every other build the macro is
// nothing at all.

#ifdef DOCKERSHIM_FAULT_POINTS

namespace dockershim::common {
// Kills the process with SIGKILL when `name` is the armed point and this is its chosen hit.
void faultPoint(const char* name);
}  // namespace dockershim::common

#define DS_FAULT_POINT(name) ::dockershim::common::faultPoint(name)

#else

#define DS_FAULT_POINT(name) ((void)0)

#endif
