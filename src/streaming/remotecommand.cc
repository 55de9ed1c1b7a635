#include "streaming/remotecommand.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace dockershim::streaming {

using nlohmann::json;

std::string exitStatusJson(int exitCode) {
  if (exitCode == 0) return json{{"metadata", json::object()}, {"status", "Success"}}.dump();
  // metav1.Status: a StatusCause's type is serialised under "reason".
  json status = {
      {"metadata", json::object()},
      {"status", "Failure"},
      {"message",
       "command terminated with non-zero exit code: exit status " + std::to_string(exitCode)},
      {"reason", "NonZeroExitCode"},
      {"details",
       {{"causes",
         json::array({{{"reason", "ExitCode"}, {"message", std::to_string(exitCode)}}})}}}};
  return status.dump();
}

std::string failureStatusJson(const std::string& message) {
  json status = {{"metadata", json::object()},
                 {"status", "Failure"},
                 {"message", message},
                 {"reason", "InternalError"},
                 {"code", 500}};
  return status.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status ResizeDecoder::feed(std::string_view bytes, std::vector<TerminalSize>& out) {
  if (!failure_) return failure_;
  buffer_.append(bytes);
  // One JSON object at a time; objects hold no nested braces, so the first '}' ends one.
  for (;;) {
    size_t start = buffer_.find_first_not_of(" \t\r\n");
    if (start == std::string::npos) {
      buffer_.clear();
      return Status::ok();
    }
    if (buffer_[start] != '{') {
      failure_ = {Code::kInvalidArgument, "resize stream: expected a JSON object"};
      return failure_;
    }
    size_t end = buffer_.find('}', start);
    if (end == std::string::npos) {
      if (buffer_.size() - start > 4096) {
        failure_ = {Code::kInvalidArgument, "resize stream: message too long"};
        return failure_;
      }
      buffer_.erase(0, start);
      return Status::ok();
    }
    json msg = json::parse(buffer_.begin() + start, buffer_.begin() + end + 1, nullptr, false);
    buffer_.erase(0, end + 1);
    if (msg.is_discarded() || !msg.is_object()) {
      failure_ = {Code::kInvalidArgument, "resize stream: not a JSON object"};
      return failure_;
    }
    auto dim = [&](const char* key) -> uint16_t {
      auto it = msg.find(key);
      if (it == msg.end() || !it->is_number_integer()) return 0;
      auto v = it->get<int64_t>();
      return v < 0 ? 0 : static_cast<uint16_t>(std::min<int64_t>(v, 65535));
    };
    out.push_back({dim("Width"), dim("Height")});
  }
}

OutputPump::OutputPump(Process& process, Activity& activity, Write write, Finished finished,
                       HungUp hungUp)
    : process_(process),
      activity_(activity),
      write_(std::move(write)),
      finished_(std::move(finished)),
      hungUp_(std::move(hungUp)),
      thread_([this] { run(); }) {}

OutputPump::~OutputPump() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void OutputPump::stop() { stop_ = true; }

void OutputPump::run() {
  // Nothing may escape a thread: an exception here would end the daemon.
  std::string failure;
  try {
    pumpOutput();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    spdlog::error("streaming output: {}", failure);
    try {
      if (!stop_ && !finishedCalled_) finished_(Status(Code::kInternal, failure));
    } catch (...) {
    }
  }
  done_ = true;
}

void OutputPump::pumpOutput() {
  Result<int> result = Status(Code::kCancelled, "stopped");
  auto nextHangUpCheck = Clock::now();
  for (;;) {
    if (stop_) break;
    if (hungUp_ && Clock::now() >= nextHangUpCheck) {
      nextHangUpCheck = Clock::now() + std::chrono::milliseconds(500);
      if (hungUp_()) {
        process_.abort();
        stop_ = true;
        break;
      }
    }
    auto chunk = process_.readOutput(Clock::now() + std::chrono::seconds(1));
    if (!chunk) {
      if (chunk.status().code() == Code::kDeadlineExceeded) continue;  // check stop_, wait on
      result = chunk.status();
      break;
    }
    if (chunk->data.empty()) {
      if (stop_) break;  // ended by us, not by the process
      // The output ended: the process exited (or the attached container did).
      result = process_.exitCode(Clock::now() + std::chrono::seconds(30));
      break;
    }
    activity_.touch();
    if (Status st = write_(chunk->stream, chunk->data); !st) {
      result = st;
      break;
    }
  }
  if (!stop_) {
    finishedCalled_ = true;
    finished_(std::move(result));
  }
}

}  // namespace dockershim::streaming
