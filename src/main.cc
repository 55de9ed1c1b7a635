#include <spdlog/spdlog.h>

#include "app/daemon.h"
#include "app/options.h"

int main(int argc, char** argv) {
  dockershim::app::DaemonOptions options;
  auto outcome = dockershim::app::parseOptions(argc, argv, options, DOCKERSHIM_VERSION);
  if (outcome.exit) return outcome.exitCode;
  spdlog::set_level(spdlog::level::from_str(options.logLevel));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  return dockershim::app::runDaemon(options, DOCKERSHIM_VERSION);
}
