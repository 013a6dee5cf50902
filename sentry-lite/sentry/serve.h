// `see-sentry serve`: the sentry as a server of container processes (how the runtime and the shim
// run containers under sentry-lite today).
//
// It listens on a SOCK_SEQPACKET unix socket (mode 0600, host side: pod processes cannot reach
// it). A container process, right after installing sentry-lite's filter and before execve,
// connects (the connection is made by the runtime on the host side and inherited), sends one
// kRegister message with its seccomp listener and its root directory (control_protocol.h), and
// gets kRegistered back; from then on its sentry-class syscalls, and those of every descendant, are
// served by one NotifyLoop shared by all registered processes.
//
// Lifetime: with `exit_when_idle` (runsee: one sentry per container) it exits once it has served
// at least one registration and no listener is left (every process under the filters is gone);
// with an `owner_fd` (the shim: one sentry per pod) it exits when that fd reports EOF, i.e. when
// the owner closed it or died. SIGTERM ends it too. Its own confinement (self_confinement.h) is
// applied once the socket listens. With `userns_fd` the sentry becomes root of that user
// namespace before serving, and a registrar child (host side) takes the registrations.
#pragma once

#include <string>

#include "base/status.h"

namespace see::sentry {

struct ServeOptions {
  std::string socket_path;
  int ready_fd = -1;  // one byte is written here once registrations are accepted, then closed
  int owner_fd = -1;  // EOF: the owner is gone, stop
  bool exit_when_idle = false;
  bool confine_self = true;
  // Enter the devices jail before serving (sentry/devices_jail.h).
  bool devices_jail = true;
  // A pod's user namespace to serve from (the shim's `user_namespace: pod`): served calls then run
  // with the pod's ids and capabilities over the pod's files. A registrar child stays outside to
  // take registering processes' fds (serve.cc).
  int userns_fd = -1;
  // With `userns_fd`: the pod's network namespace, joined before the user namespace (a sentry
  // inside the pod's user namespace can not enter a host-owned one, such as the CNI's, later):
  // /proc/sys/net opened by the sentry then shows the pod's.
  int netns_fd = -1;
  // The shim's control socket: the process becomes the pod's init and serves through a child
  // (pod_init.h). RunServe itself ignores it.
  int control_fd = -1;
};

// Returns when the sentry should exit (see above); errors only for set-up failures.
Status RunServe(const ServeOptions& options);

}  // namespace see::sentry
