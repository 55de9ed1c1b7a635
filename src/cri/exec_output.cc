#include "cri/exec_output.h"

#include <algorithm>

namespace dockershim::cri {

void ExecOutput::add(std::string& s, bool& truncated, std::string_view data) {
  if (truncated) return;
  if (s.size() + data.size() <= kStreamCap) {
    s.append(data);
    return;
  }
  s.append(data.substr(0, kStreamCap - s.size()));
  truncated = true;
}

void ExecOutput::finish(std::string* out, std::string* err) {
  const std::size_t budget = kResponseCap - 2 * kMarker.size();
  if (out_.size() + err_.size() > budget) {
    const std::size_t half = budget / 2;
    std::size_t outKeep = out_.size(), errKeep = err_.size();
    if (errKeep <= half) {
      outKeep = budget - errKeep;
    } else if (outKeep <= half) {
      errKeep = budget - outKeep;
    } else {
      outKeep = half;
      errKeep = budget - half;
    }
    if (outKeep < out_.size()) {
      out_.resize(outKeep);
      outTruncated_ = true;
    }
    if (errKeep < err_.size()) {
      err_.resize(errKeep);
      errTruncated_ = true;
    }
  }
  if (outTruncated_) out_.append(kMarker);
  if (errTruncated_) err_.append(kMarker);
  *out = std::move(out_);
  *err = std::move(err_);
}

}  // namespace dockershim::cri
