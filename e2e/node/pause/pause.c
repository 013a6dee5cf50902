// see's pod sandbox ("pause") process: PID 1 of a pod's sandbox container.
//
// It holds the pod's namespaces open and does nothing else: sleeps in pause(), reaps any child
// that gets re-parented to it (a pod sharing its PID namespace makes it the reaper of orphans),
// and exits 0 on SIGTERM or SIGINT so StopPodSandbox does not have to wait for a SIGKILL.
// Built static (gcc -static) into the `pause` image by scripts/images.d/pause.sh.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_terminate(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int install(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("see-pause 1");
    return 0;
  }
  if (getpid() != 1) fputs("pause: warning: not PID 1\n", stderr);
  if (install(SIGTERM, on_terminate) != 0 || install(SIGINT, on_terminate) != 0 ||
      install(SIGCHLD, on_child) != 0) {
    perror("pause: sigaction");
    return 1;
  }
  for (;;) pause();
}
