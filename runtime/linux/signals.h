// Signal names as runc accepts them: "KILL", "SIGKILL", "9", "sigterm" (case-insensitive).
#pragma once

#include <string>

#include "base/status.h"

namespace see::runtime {

// InvalidArgument for unknown names or numbers outside 1..64.
Result<int> ParseSignal(const std::string& s);

}  // namespace see::runtime
