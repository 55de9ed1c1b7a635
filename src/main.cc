#include <spdlog/spdlog.h>

#include <cstring>

#include "app/daemon.h"
#include "app/migrate_command.h"
#include "app/options.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "migrate") == 0) {
    spdlog::set_level(spdlog::level::warn);
    return dockershim::app::runMigrate(argc - 1, argv + 1);
  }
  dockershim::app::DaemonOptions options;
  auto outcome = dockershim::app::parseOptions(argc, argv, options, DOCKERSHIM_VERSION);
  if (outcome.exit) return outcome.exitCode;
  spdlog::set_level(spdlog::level::from_str(options.logLevel));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  return dockershim::app::runDaemon(options, DOCKERSHIM_VERSION);
}
