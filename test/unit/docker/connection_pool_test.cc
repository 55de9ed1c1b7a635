#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <thread>

#include "docker/connection.h"
#include "unit/temp_dir.h"

namespace dockershim::docker {
namespace {

using namespace std::chrono_literals;

// A socket that accepts connections (into its backlog), standing in for Docker's.
struct Listener {
  test::TempDir dir;
  std::string path = dir.path() + "/docker.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Listener() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd, 64) == 0);
  }
  ~Listener() { ::close(fd); }
  std::unique_ptr<Connection> connected() {
    auto c = std::make_unique<Connection>(path);
    REQUIRE(c->connect(deadlineIn(5s)));
    return c;
  }
};

TEST_CASE("connection pool: a connection idle past its expiry is closed", "[docker]") {
  Listener docker;
  const std::string& socket = docker.path;
  ConnectionPool pool(socket, 16, 100ms);
  // Two calls at once left two connections behind.
  pool.release(docker.connected());
  pool.release(docker.connected());
  CHECK(pool.idleCount() == 2);
  std::this_thread::sleep_for(150ms);
  // The next call closes both; its own connection stays.
  pool.release(docker.connected());
  CHECK(pool.idleCount() == 1);
  std::this_thread::sleep_for(150ms);
  bool reused = true;
  auto conn = pool.acquire(reused);
  CHECK_FALSE(reused);  // the expired one was not handed out
  CHECK(pool.idleCount() == 0);
  // At most maxIdle are kept.
  ConnectionPool small(socket, 1, 1h);
  small.release(docker.connected());
  small.release(docker.connected());
  CHECK(small.idleCount() == 1);
  auto kept = small.acquire(reused);
  CHECK(reused);  // a live one, handed out again
}

}  // namespace
}  // namespace dockershim::docker
