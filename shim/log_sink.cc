#include "shim/log_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace see::shim {

namespace {

class NonBlockingFdSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit NonBlockingFdSink(int fd) : fd_(fd) {}
  ~NonBlockingFdSink() override {
    if (fd_ >= 0) close(fd_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (fd_ < 0) return;
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    // One write per line; a full FIFO drops the line (EAGAIN) rather than blocking the shim.
    (void)!write(fd_, formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  int fd_;
};

}  // namespace

void InstallShimLogger(const std::string& fifo_path, bool debug) {
  int fd = open(fifo_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  auto sink = std::make_shared<NonBlockingFdSink>(fd);
  auto logger = std::make_shared<spdlog::logger>("shim", sink);
  // logrus' text format, which containerd passes through: time="..." level=info msg="..."
  logger->set_pattern("time=\"%Y-%m-%dT%H:%M:%S.%fZ\" level=%l msg=\"%v\" runtime=io.containerd.see.v2", spdlog::pattern_time_type::utc);
  logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace see::shim
