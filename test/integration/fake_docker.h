#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dockershim::testing {

struct FakeRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// What the fake sends back: raw bytes, written piece by piece (each piece its own write).
struct FakeReply {
  std::vector<std::string> pieces;
  bool hang = false;   // send nothing, keep the connection open
  bool close = false;  // close the connection after the reply
  // After the pieces: writes more for as long as it likes (a stream of events), through the
  // function it is given, which answers false once the client has gone. The connection is
  // closed when it returns.
  std::function<void(const std::function<bool(const std::string&)>& write)> stream;
};

FakeReply jsonReply(int status, const std::string& body, bool keepAlive = true);
FakeReply chunkedReply(int status, const std::vector<std::string>& chunks);

// A fake Docker Engine on a temporary unix socket, for faults a real daemon cannot produce on
// demand (hangs, malformed bodies, odd framing). One thread per connection.
class FakeDocker {
 public:
  using Handler = std::function<FakeReply(const FakeRequest&)>;
  explicit FakeDocker(Handler handler);
  ~FakeDocker();

  const std::string& socketPath() const { return path_; }
  int connectionsAccepted() const { return accepted_; }
  // Closes every open client connection (as Docker does with idle keep-alives).
  void dropConnections();

 private:
  void serve(int fd);

  Handler handler_;
  std::string dir_;
  std::string path_;
  int listenFd_ = -1;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptThread_;
  std::mutex mu_;
  std::vector<int> clients_;
  std::vector<std::thread> workers_;
};

}  // namespace dockershim::testing
