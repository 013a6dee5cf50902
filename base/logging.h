// Logging set-up for every binary. spdlog underneath; one call at start-up picks the sink,
// the format and the level.
//
// The JSON format matches runc's `--log-format json` lines ({"level":..,"msg":..,"time":..}),
// because containerd-shim-runc-v2 reads the last error's "msg" from that file to report why a
// runtime call failed. Extra structured fields go in as key=value pairs in `fields`.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "base/status.h"

namespace see {

enum class LogFormat { kText, kJson };

struct LogOptions {
  std::string path;  // empty: stderr. A path is opened for append (a FIFO works too).
  LogFormat format = LogFormat::kText;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string name = "see";  // logger name, shown in text format.
};

// Replaces the default logger. Safe to call again (e.g. after flags are parsed).
Status InitLogging(const LogOptions& options);

// Parses "text" / "json".
Result<LogFormat> ParseLogFormat(const std::string& s);

}  // namespace see
