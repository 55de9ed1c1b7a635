#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dockershim::cri {

// The output of an ExecSync call, bounded twice: each stream keeps at most kStreamCap bytes
// while it is read (a command that prints without end must not take the daemon's memory), and
// the response as a whole must fit the kubelet's 16 MiB gRPC message limit (a larger answer
// would fail the probe with RESOURCE_EXHAUSTED instead of showing what it printed).
class ExecOutput {
 public:
  static constexpr std::size_t kStreamCap = 16u << 20;
  // Room left for the message's own framing (tags, lengths, exit code).
  static constexpr std::size_t kResponseCap = (16u << 20) - 1024;
  static constexpr std::string_view kMarker = "\n[dockershim: output truncated]\n";

  void addStdout(std::string_view data) { add(out_, outTruncated_, data); }
  void addStderr(std::string_view data) { add(err_, errTruncated_, data); }
  bool truncated() const { return outTruncated_ || errTruncated_; }

  // Fits both streams into kResponseCap (a stream that fits in half is kept whole, the other
  // gets the rest), appends the marker to each cut stream and moves the results out.
  void finish(std::string* out, std::string* err);

 private:
  static void add(std::string& s, bool& truncated, std::string_view data);

  std::string out_, err_;
  bool outTruncated_ = false, errTruncated_ = false;
};

}  // namespace dockershim::cri
