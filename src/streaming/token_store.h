#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "dockershim/status.h"
#include "dockershim/streaming_runtime.h"

namespace dockershim::streaming {

// The requests handed out by Exec/Attach/PortForward until their client connects: random,
// unguessable tokens, each good for one connection within its time to live, and at most
// `capacity` of them pending (a client that asks without ever connecting cannot grow memory).
class TokenStore {
 public:
  using Now = std::function<Clock::time_point()>;
  explicit TokenStore(
      std::size_t capacity = 1000, std::chrono::milliseconds ttl = std::chrono::minutes(1),
      Now now = [] { return Clock::now(); });

  // A fresh token for `request`; RESOURCE_EXHAUSTED when `capacity` live tokens are pending.
  Result<std::string> insert(PendingRequest request);
  // The request of a live token, which is used up; nullopt for unknown, used or expired tokens.
  std::optional<PendingRequest> consume(std::string_view token);
  std::size_t pending();

 private:
  void dropExpired(Clock::time_point now);  // with mu_ held

  struct Entry {
    PendingRequest request;
    Clock::time_point expires;
  };
  const std::size_t capacity_;
  const std::chrono::milliseconds ttl_;
  const Now now_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

// 16 bytes from the kernel's CSPRNG, URL-safe base64 without padding (22 characters).
std::string randomToken();

}  // namespace dockershim::streaming
