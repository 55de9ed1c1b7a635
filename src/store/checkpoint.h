#pragma once

#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::store {

// What a sandbox needs that Docker cannot hold: written at RunPodSandbox, read at stop/status.
// compat: the JSON layout is cri-dockerd's and dockershim's, so a node can switch between them:
//   {"version":"v1","name":…,"namespace":…,"data":{"port_mappings":[{"protocol":"tcp",
//    "container_port":N,"host_port":N,"host_ip":"…"}],"host_network":true},"checksum":N}
// Keys in that order; like Go's `omitempty` there, "port_mappings" is left out when empty,
// "host_network" when false and "host_ip" when empty ("data" itself is always written).
struct PortMapping {
  std::string protocol;  // "tcp", "udp", "sctp"
  int32_t containerPort = 0;
  int32_t hostPort = 0;
  std::string hostIp;
  bool operator==(const PortMapping&) const = default;
};

struct SandboxCheckpoint {
  std::string name;
  std::string podNamespace;
  std::vector<PortMapping> portMappings;
  bool hostNetwork = false;
  bool operator==(const SandboxCheckpoint&) const = default;
};

// cri-dockerd's checksum, so that cri-dockerd accepts what dockershim writes (it deletes a
// checkpoint whose checksum does not match): FNV-1a 32 over go-spew's "%#v" text of `data`.
uint32_t checkpointChecksum(const SandboxCheckpoint& cp);
// What earlier dockershim builds wrote: FNV-1a 32 over the compact JSON of `data`. Still
// accepted on read.
uint32_t legacyChecksum(const SandboxCheckpoint& cp);
std::string encodeCheckpoint(const SandboxCheckpoint& cp);

struct DecodedCheckpoint {
  SandboxCheckpoint checkpoint;
  // The checksum is cri-dockerd's (or an earlier dockershim's) for this data.
  bool checksumMatched = true;
};
// DATA_LOSS when the text is not a checkpoint (not JSON, wrong version, wrong field types).
Result<DecodedCheckpoint> decodeCheckpoint(std::string_view text);

// Checkpoint files in <root>/sandbox/<sandbox-id>. Thread-safe. A sandbox id must be a plain
// file name (not empty, no '/', no leading '.'): INVALID_ARGUMENT otherwise.
class CheckpointStore {
 public:
  // Removes temp files a crashed write left behind.
  explicit CheckpointStore(std::string rootDirectory);
  // Atomic: temp file in the same folder, fsync, rename, fsync of the folder.
  Status write(const std::string& sandboxId, const SandboxCheckpoint& cp);
  // NOT_FOUND when absent. A file that does not parse is removed with a warning and reported
  // NOT_FOUND; a checksum mismatch (a file edited by hand) is accepted with a warning.
  Result<SandboxCheckpoint> read(const std::string& sandboxId);
  // Idempotent: absent is OK.
  Status remove(const std::string& sandboxId);
  // Sandbox ids that have a checkpoint file (temp files excluded). The folder is read again only
  // when its modification time moved (kubelet lists pods every second; the folder rarely
  // changes), and a listing is kept only once that time is safely in the past, so a change in
  // the same clock tick as the reading is never missed.
  std::vector<std::string> list();
  const std::string& directory() const { return dir_; }

 private:
  Status ensureDirectory();

  std::string dir_;
  // The last listing and the folder's modification time it reflects (none when not kept).
  std::vector<std::string> listed_;
  std::optional<timespec> listedMtime_;
  // Serialises the store's own operations: without it, read() could remove a corrupt file that
  // a concurrent write() has just replaced with a good one.
  std::mutex mu_;
};

}  // namespace dockershim::store
