// Runtime options: CreateTaskRequest.options is either containerd.runc.v1.Options (ctr's
// --runc-* flags; only Root is meaningful to see and ignored: see keeps its state per namespace)
// or runtimeoptions.v1.Options (the CRI plugin's `ConfigPath` for non-runc runtimes), whose file
// is see's own YAML configuration:
//
//   log_level: debug|info|warn|error   # the shim's log level (default info; -debug forces debug)
//   sandbox: sentry|none                # how containers run (default sentry): under one see-sentry
//                                       # per pod (the shim starts it with the pod's first
//                                       # container and stops it after the last), or the plain
//                                       # runc-like path (no syscall interception; comparison only)
//   egress_refresh: 30                  # seconds between re-resolutions of the host names of a
//                                       # pod's see.dev/egress policy (default 30, at least 5)
//   user_namespace: pod|host            # pod (default): every pod runs in its own user namespace
//                                       # whose root is an unprivileged host uid range of 65536
//                                       # ids; rootfs layers and bind volumes are id-mapped so
//                                       # on-disk ownership stays as in the image. A pod in the
//                                       # host's network, pid or ipc namespace keeps host ids
//                                       # (Kubernetes refuses hostUsers: false there). host: the
//                                       # pod's root is host root (runc's way). A pod chooses for
//                                       # itself with the annotation see.dev/user-namespace:
//                                       # pod|host (the CRI plugin passes see.dev/* pod
//                                       # annotations: docs/operations.md).
//   host_paths: idmap|unmapped          # in a pod user namespace, bind volumes from outside the
//                                       # pod (hostPath): idmap (default, as Kubernetes does)
//                                       # shows them with their host owners, so the pod's root
//                                       # writes what host root could; unmapped binds them as
//                                       # they are: there the pod's root is its unprivileged host
//                                       # uid (stricter; a root-owned hostPath is read-only to it)
//   userns_base: 1073741824             # first host uid/gid of the pod ranges (default 2^30, a
//                                       # multiple of 65536)
//   userns_ranges: 1024                 # how many 65536-id ranges from there (default 1024, so
//                                       # 2^30 .. 2^30+2^26-1); a pod claims a free one
//
// Unknown keys are refused so that typos do not pass silently.
#pragma once

#include <google/protobuf/any.pb.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace see::shim {

// The pod annotation that overrides `user_namespace` for one pod ("pod" or "host").
inline constexpr char kUserNamespaceAnnotation[] = "see.dev/user-namespace";

struct ShimConfig {
  std::optional<std::string> log_level;
  bool sentry = true;  // sandbox: sentry (true) or none
  int egress_refresh_seconds = 30;
  bool pod_user_namespace = true;  // user_namespace: pod (default) or host
  bool idmap_host_paths = true;    // host_paths: idmap (default) or unmapped
  uint32_t userns_base = 1u << 30;
  uint32_t userns_ranges = 1024;
};

// Ids per pod range; the ranges must end below kUsernsLimit (ids above are kept for the
// overlay layers' id-mapping, see runtime_backend.cc).
inline constexpr uint32_t kUsernsRangeSize = 65536;
inline constexpr uint64_t kUsernsLimit = 0xFFFF0000ull;

// Parses the YAML text of a config file. InvalidArgument naming the key on errors.
Result<ShimConfig> ParseConfigYaml(const std::string& text);

// The configuration `options` selects: empty Any → defaults; runtimeoptions with ConfigPath → that
// file; runc Options → defaults. InvalidArgument for an unknown type.
Result<ShimConfig> ConfigFromOptions(const google::protobuf::Any& options);

}  // namespace see::shim
