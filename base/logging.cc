#include "base/logging.h"

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

namespace see {
namespace {

// Formats each record as one JSON object per line, runc's shape.
template <typename Mutex>
class JsonSink : public spdlog::sinks::base_sink<Mutex> {
 public:
  explicit JsonSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    static const char* kLevels[] = {"trace", "debug", "info", "warning", "error", "fatal", "off"};
    auto secs = std::chrono::time_point_cast<std::chrono::microseconds>(msg.time);
    std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[64];
    size_t n = std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(when + n, sizeof when - n, ".%06ldZ",
                  static_cast<long>(secs.time_since_epoch().count() % 1000000));
    nlohmann::json j;
    j["level"] = kLevels[msg.level];
    j["msg"] = std::string(msg.payload.data(), msg.payload.size());
    j["time"] = when;
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    spdlog::details::log_msg raw(msg.logger_name, msg.level, line);
    inner_->log(raw);
  }
  void flush_() override { inner_->flush(); }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

Result<LogFormat> ParseLogFormat(const std::string& s) {
  if (s == "text") return LogFormat::kText;
  if (s == "json") return LogFormat::kJson;
  return InvalidArgument("unknown log format \"" + s + "\" (want text or json)");
}

Status InitLogging(const LogOptions& options) {
  std::shared_ptr<spdlog::sinks::sink> base;
  try {
    if (options.path.empty()) {
      base = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      base = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.path, false);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Internal(std::string("opening log ") + options.path + ": " + e.what());
  }
  std::shared_ptr<spdlog::sinks::sink> sink = base;
  if (options.format == LogFormat::kJson) {
    base->set_pattern("%v");
    sink = std::make_shared<JsonSink<std::mutex>>(base);
  } else {
    base->set_pattern("%Y-%m-%dT%H:%M:%S.%f %^%l%$ %n[%P]: %v");
  }
  auto logger = std::make_shared<spdlog::logger>(options.name, sink);
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

}  // namespace see
