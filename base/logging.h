// Logging set-up for every binary. spdlog underneath; one call at start-up picks the sink,
// the format and the level.
//
// The JSON format matches runc's `--log-format json` lines ({"level":..,"msg":..,"time":..}),
// because containerd-shim-runc-v2 reads the last error's "msg" from that file to report why a
// runtime call failed. Extra structured fields go in as key=value pairs in `fields`.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

// fmt 9 (Debian 12) declares no extern instantiation of detail::vformat_to<char> (fmt 10 does): a
// unit logging with arguments instantiated it with all of fmt's writers, partly as per-unit clones
// (format_dragon), ~230 KiB of text per binary. libfmt.so exports it: use it. Not with clang (fuzz
// build): it mangles the buffer_context alias unlike the GCC-built libfmt.so (no such symbol).
#if FMT_VERSION < 100000 && !defined(FMT_HEADER_ONLY) && !defined(__clang__)
FMT_BEGIN_NAMESPACE
namespace detail {
extern template FMT_API void vformat_to<char>(buffer<char>&, basic_string_view<char>,
                                              basic_format_args<FMT_BUFFER_CONTEXT(char)>,
                                              locale_ref);
}  // namespace detail
FMT_END_NAMESPACE
#endif

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
