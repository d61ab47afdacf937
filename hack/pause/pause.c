// The pod sandbox's process for the local host node (hack/local-clusters.sh --host-kubelet):
// it holds the pod's namespaces, reaps orphaned children and exits on SIGINT/SIGTERM, like
// Kubernetes' own pause. Built statically by hack/pause-image.sh, so the image holds this
// one file and nothing is pulled from a registry.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void Exit(int signal_number) { _exit(signal_number == SIGTERM ? 0 : 128 + signal_number); }

static void Reap(int signal_number) {
  (void)signal_number;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("kfed-pause\n");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "warning: pause should be the first process\n");
  struct sigaction exit_action = {.sa_handler = Exit};
  struct sigaction reap_action = {.sa_handler = Reap, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &exit_action, NULL) < 0 || sigaction(SIGTERM, &exit_action, NULL) < 0 ||
      sigaction(SIGCHLD, &reap_action, NULL) < 0) {
    perror("sigaction");
    return 1;
  }
  for (;;) pause();
}
