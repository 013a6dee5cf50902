// Child-side process identity and environment: rlimits, user/groups, umask, environment, and the
// executable lookup through the container's PATH. Each function changes only the calling process.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

Status ApplyRlimits(const std::vector<oci::Rlimit>& rlimits);

// setgroups(additionalGids) (skipped when `setgroups_allowed` is false; then additionalGids is an
// error), setresgid, setresuid with PR_SET_KEEPCAPS held across the switch so the permitted set
// survives for ApplyCapSets, umask (default 0022).
Status SetupUser(const oci::User& user, bool setgroups_allowed);

Status ApplyPersonality(const oci::Personality& p);
Status WriteOomScoreAdj(int value);

// The environment for execve: the spec's, plus PATH (the standard default) and HOME (from
// `passwd_content` for `uid`, else "/") when absent.
std::vector<std::string> BuildEnv(const std::vector<std::string>& env, uint32_t uid,
                                  const std::string& passwd_content);

// exec.LookPath semantics against the container's PATH (from `env`): names containing '/' are
// used as given; otherwise the first executable regular file in PATH. kNotFound with runc's
// message ("exec: \"x\": executable file not found in $PATH").
Result<std::string> LookPath(const std::string& file, const std::vector<std::string>& env);

}  // namespace see::runtime
