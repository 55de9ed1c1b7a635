#pragma once

#include <string_view>

// The two systemd service protocols the daemon speaks, as sd_listen_fds(3) and sd_notify(3)
// document them, without linking libsystemd (which would map libsystemd, libgcrypt, liblzma,
// libzstd, liblz4 and libcap into a daemon that needs neither journal nor crypto).
namespace dockershim::common {

// The first socket passed by socket activation.
inline constexpr int kListenFdsStart = 3;

// Sockets passed by socket activation: LISTEN_FDS when LISTEN_PID names this process, else 0;
// -1 when the variables are malformed or a passed fd is not open. Each passed fd (from
// `firstFd`, 3 but in tests) gets FD_CLOEXEC. With `unsetEnvironment`, LISTEN_PID, LISTEN_FDS,
// LISTEN_FDNAMES and LISTEN_PIDFDID are removed so children do not see them.
int listenFds(bool unsetEnvironment, int firstFd = kListenFdsStart);

// Sends `state` (e.g. "READY=1") as one datagram to $NOTIFY_SOCKET: a filesystem path, or an
// abstract address written with a leading '@'. Returns 1 when sent, 0 when the service manager
// did not ask for notifications (no NOTIFY_SOCKET), -1 when it asked and the send failed
// (errno tells why).
int notifyServiceManager(std::string_view state);

}  // namespace dockershim::common
