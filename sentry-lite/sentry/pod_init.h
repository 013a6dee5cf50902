// The pod's init: what `see-sentry serve --control-fd N` runs (the shim's one sentry per pod).
//
// The process the shim starts stays on the host side as the pod's init and forks the server
// (RunServe, serve.h), which serves the pod's container processes. The init:
//   - starts, on a kSpawn request over the control socket, the runtime's container set-up helper
//     with the fds that came with it; the helper clones the container process with CLONE_PARENT,
//     so every container process (inits and exec'd ones) is the pod init's child;
//   - reaps: it is a child subreaper, so orphans of containers that share a pid namespace with the
//     host or with each other come to it too; every exit except its own helpers' is reported to the
//     shim as kExit {pid, wait status};
//   - forwards SIGTERM and SIGINT to the pod's processes and stops the server;
//   - when the shim is gone (EOF on the control socket), kills what is left of the pod (without a
//     server every served call would fail), reaps it and exits;
//   - when the server dies, exits with an error (the shim then fails the pod's containers, which
//     it reaps as their subreaper).
// It is not confined by the sentry's allowlist (its helpers must set up namespaces and mounts, and
// a seccomp filter is inherited across exec); it is reachable only through the shim's socketpair and
// is not visible from pods in their own pid namespaces, like the shim itself.
#pragma once

#include "base/status.h"
#include "sentry-lite/sentry/serve.h"

#include <sys/types.h>

#include <vector>

namespace see::sentry {

// `options.control_fd` must be valid; the server gets the rest of `options`. Returns when the pod
// init should exit; an error when the server failed or died.
Status RunPodInit(const ServeOptions& options);

// The children of the single-threaded process `parent`: /proc/<pid>/task/<pid>/children where the
// kernel has it (CONFIG_PROC_CHILDREN) and `children_file`, else every /proc/<n>/stat whose
// parent field is `parent`.
std::vector<pid_t> ChildrenOf(pid_t parent, bool children_file);

}  // namespace see::sentry
