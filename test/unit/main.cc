// Catch2's main() for the unit tests; every *_test.cc only adds cases. Like the daemon
// (app/daemon.cc), the process ignores SIGPIPE: code that writes to pipes and sockets (CNI
// plugins' stdin, streams) relies on getting EPIPE instead of being killed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <csignal>

int main(int argc, char* argv[]) {
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
