#include "streaming/token_store.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <stdexcept>

#include "common/base64.h"

namespace dockershim::streaming {

std::string randomToken() {
  std::array<unsigned char, 16> bytes{};
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Without the kernel's CSPRNG no token can be unguessable: refuse rather than weaken.
      throw std::runtime_error("getrandom failed");
    }
    got += static_cast<size_t>(n);
  }
  std::string token = common::base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  while (!token.empty() && token.back() == '=') token.pop_back();
  return token;
}

TokenStore::TokenStore(std::size_t capacity, std::chrono::milliseconds ttl, Now now)
    : capacity_(capacity), ttl_(ttl), now_(std::move(now)) {}

void TokenStore::dropExpired(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
  }
}

Result<std::string> TokenStore::insert(PendingRequest request) {
  std::string token;
  try {
    token = randomToken();
  } catch (const std::exception& e) {
    return Status(Code::kInternal, std::string("streaming token: ") + e.what());
  }
  std::lock_guard lock(mu_);
  auto now = now_();
  if (entries_.size() >= capacity_) dropExpired(now);
  if (entries_.size() >= capacity_) {
    return Status(Code::kResourceExhausted,
                  "too many streaming requests are waiting for their client (" +
                      std::to_string(capacity_) + "); try again later");
  }
  entries_.emplace(token, Entry{std::move(request), now + ttl_});
  return token;
}

std::optional<PendingRequest> TokenStore::consume(std::string_view token) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  entries_.erase(it);
  if (entry.expires <= now_()) return std::nullopt;
  return std::move(entry.request);
}

std::size_t TokenStore::pending() {
  std::lock_guard lock(mu_);
  dropExpired(now_());
  return entries_.size();
}

}  // namespace dockershim::streaming
