#pragma once

// The CRI container log format kubelet reads (`kubectl logs`, `crictl logs`), and the RFC 3339
// timestamps it and Docker's json-file driver share. Pure functions, no I/O.
//
// One record per line:  <RFC3339Nano time> <stdout|stderr> <F|P> <content>\n
// F ends a line of output; P is a piece of a line the container has not finished (kubelet joins
// P…P F when it prints). Spec: kubernetes/design-proposals-archive node/kubelet-cri-logging.md;
// reader: kubernetes pkg/kubelet/kuberuntime/logs/logs.go (parseCRILog).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dockershim::logs {

enum class Stream { kStdout, kStderr };

// "stdout" or "stderr", as both formats spell them.
std::string_view streamName(Stream stream);
std::optional<Stream> parseStream(std::string_view name);

// Appends `unixNanos` (nanoseconds since the Unix epoch) in UTC as Go's time.RFC3339Nano prints
// it: trailing zeros of the fraction trimmed, and no fraction at all on a whole second
// ("2026-11-28T10:00:00.1234Z", "2026-11-28T10:00:00Z"). This is what Docker writes in its
// json-file "time" field and what containerd writes in CRI logs, so a timestamp usually comes out
// byte for byte as Docker wrote it; kubelet parses it with RFC3339NanoLenient, which accepts
// every fraction width.
void appendRfc3339Nano(std::string& out, int64_t unixNanos);
std::string formatRfc3339Nano(int64_t unixNanos);

// Parses an RFC 3339 timestamp as Go's time.Parse(time.RFC3339Nano, …) does: 'T' separator, an
// optional fraction of any width (digits past the ninth are dropped, as Go does), and 'Z' or a
// ±hh:mm offset. Returns nanoseconds since the Unix epoch, or nullopt when malformed or outside
// what an int64 of nanoseconds holds (years 1678–2261).
std::optional<int64_t> parseRfc3339Nano(std::string_view text);

// Appends the CRI records for one piece of container output and returns how many it appended:
// an F record for each newline-terminated line (the newline becomes the record's own), and a P
// record for a remainder without one. Empty text appends nothing. Docker's entries hold at most
// one newline, at the end, so an entry normally gives exactly one record; splitting on inner
// newlines keeps a hand-edited or corrupt entry from breaking the one-record-per-line format.
//
// compat: a "\r" before the newline is kept, as `docker logs` shows it; containerd strips it.
std::size_t appendCriRecords(std::string& out, int64_t unixNanos, Stream stream,
                             std::string_view text);

// How many records appendCriRecords would append for `text`.
std::size_t criRecordCount(std::string_view text);

// The fields before the content of one CRI record, `line` without its trailing '\n'.
struct CriRecordHead {
  int64_t unixNanos = 0;
  Stream stream = Stream::kStdout;
  bool partial = false;
};

// nullopt when `line` is not a CRI record. Like kubelet, reads only the first tag of a
// ':'-separated tag list, for forward compatibility.
std::optional<CriRecordHead> parseCriRecordHead(std::string_view line);

}  // namespace dockershim::logs
