// The shim's command line as containerd 1.6 invokes it (runtime/v2/shim/shim.go parseFlags, Go's
// flag package): `-namespace NS -address ADDR -publish-binary BIN -id ID [-bundle DIR] [-debug]
// [start|delete]`, `-v` for the version. "-flag value", "-flag=value" and "--flag" are accepted;
// parsing stops at the first non-flag argument (the action). Environment: TTRPC_ADDRESS (where
// events go), GRPC_ADDRESS, NAMESPACE (fallback for -namespace).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace see::shim {

struct ShimFlags {
  std::string ns;
  std::string address;         // containerd's GRPC address
  std::string publish_binary;  // unused: events go over ttrpc
  std::string id;
  std::string bundle;          // default: the working directory
  std::string socket;          // our own: the socket path `start` bound (daemon only)
  bool debug = false;
  bool version = false;
  std::string action;          // "", "start", "delete"
  std::string ttrpc_address;   // $TTRPC_ADDRESS
};

// InvalidArgument on an unknown flag, a missing value or a bad boolean.
Result<ShimFlags> ParseFlags(const std::vector<std::string>& args,
                             const std::vector<std::string>& env);

}  // namespace see::shim
