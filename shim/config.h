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
//
// Unknown keys are refused so that typos do not pass silently.
#pragma once

#include <google/protobuf/any.pb.h>

#include <optional>
#include <string>

#include "base/status.h"

namespace see::shim {

struct ShimConfig {
  std::optional<std::string> log_level;
  bool sentry = true;  // sandbox: sentry (true) or none
  int egress_refresh_seconds = 30;
};

// Parses the YAML text of a config file. InvalidArgument naming the key on errors.
Result<ShimConfig> ParseConfigYaml(const std::string& text);

// The configuration `options` selects: empty Any → defaults; runtimeoptions with ConfigPath → that
// file; runc Options → defaults. InvalidArgument for an unknown type.
Result<ShimConfig> ConfigFromOptions(const google::protobuf::Any& options);

}  // namespace see::shim
