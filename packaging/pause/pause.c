/*
 * The sandbox ("pause") container's process: it holds the pod's namespaces open and, as PID 1
 * of the pod's PID namespace when kubelet shares it, reaps orphaned children so they do not
 * linger as zombies. It exits 0 on SIGTERM or SIGINT so "docker stop" ends it promptly.
 *
 * Build: gcc -static -Os -o pause pause.c
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "dockershim-pause 1.0"
#endif

static void onShutdown(int sig) {
  (void)sig;
  /* Only async-signal-safe calls here; nothing needs flushing, so skip atexit handlers. */
  _exit(0);
}

static void reapChildren(void) {
  int savedErrno = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = savedErrno;
}

static void onChild(int sig) {
  (void)sig;
  reapChildren();
}

static int installHandler(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) {
    fprintf(stderr, "pause: sigaction(%d): %s\n", sig, strerror(errno));
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-v") == 0) {
      printf("%s\n", PAUSE_VERSION);
      return 0;
    }
    fprintf(stderr, "usage: %s [-v]\n", argv[0]);
    return 2;
  }
  if (getpid() != 1) {
    /* Still useful (it keeps the namespaces alive), but orphans will not be re-parented here. */
    fprintf(stderr, "pause: warning: not running as PID 1\n");
  }

  /* The kernel drops signals to PID 1 that have no handler, so each one we honour needs one. */
  if (installHandler(SIGTERM, onShutdown, 0) != 0 || installHandler(SIGINT, onShutdown, 0) != 0 ||
      installHandler(SIGCHLD, onChild, SA_NOCLDSTOP | SA_RESTART) != 0) {
    return 1;
  }
  /* Children may have exited before the handler existed (e.g. inherited across exec). */
  reapChildren();

  for (;;) pause();
}
