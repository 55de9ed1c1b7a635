#include "logs/resume_filter.h"

#include "logs/cri_format.h"

namespace dockershim::logs {

bool ResumeFilter::admit(int64_t unixNanos, std::string_view text) {
  if (!point_) return true;
  if (unixNanos < point_->unixNanos) return false;
  if (unixNanos == point_->unixNanos) {
    const std::size_t records = criRecordCount(text);
    if (records == 0) return false;
    if (skip_ >= records) {
      skip_ -= records;
      return false;
    }
    skip_ = 0;
    return true;
  }
  point_.reset();
  return true;
}

}  // namespace dockershim::logs
