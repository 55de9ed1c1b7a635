#pragma once

// One line of Docker's json-file log driver
// (/var/lib/docker/containers/<id>/<id>-json.log, inspect's LogPath):
//   {"log":"text\n","stream":"stdout","time":"2026-11-28T10:00:00.123456789Z"}
// Docker's writer: moby daemon/logger/jsonfilelog/jsonlog/jsonlogbytes.go. "log" is omitted
// when empty, "attrs" appears with --log-opt labels/env, and "time" is Go's RFC3339Nano in UTC.
// A line of output longer than 16 KiB arrives as several entries, only the last ending in "\n".

#include <cstdint>
#include <string>
#include <string_view>

#include "dockershim/status.h"
#include "logs/cri_format.h"

namespace dockershim::logs {

struct DockerLogEntry {
  std::string log;  // the bytes the container wrote, a trailing "\n" included if it had one
  Stream stream = Stream::kStdout;
  int64_t unixNanos = 0;
};

// Parses one line, without its trailing '\n'. INVALID_ARGUMENT (with a short reason, never the
// line's content, which may hold anything the container printed) when the line is not a JSON
// object, or lacks a "stream" of stdout/stderr or a valid "time". As Go's encoding/json does, a
// repeated key keeps its last value and unknown keys are ignored.
Result<DockerLogEntry> parseDockerJsonLine(std::string_view line);

}  // namespace dockershim::logs
