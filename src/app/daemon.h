#pragma once

#include "app/options.h"

namespace dockershim::app {

// Wires Docker client, CRI core and gRPC server; serves until SIGTERM/SIGINT. Returns the
// process exit code.
int runDaemon(const DaemonOptions& options, const char* version);

}  // namespace dockershim::app
