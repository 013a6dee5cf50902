#include "shim/stdio.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"
#include "base/logging.h"

namespace see::shim {

namespace {

constexpr size_t kChunk = 64 * 1024;
// A FIFO that has no reader yet when the process starts: retry this often, this many times,
// before treating the output as unread (containerd opens its side before Create; this covers a
// slow client, not a missing one).
constexpr auto kOpenRetry = std::chrono::milliseconds(50);
constexpr int kMaxOpenRetries = 200;
// A reader that went away (containerd restarting): look for a new one this often.
constexpr auto kReattachRetry = std::chrono::milliseconds(500);
// At EOF, what we wrote may still sit in the FIFO. Closing our end does not lose it, but the
// client stops reading once the exit is reported (containerd's task.Delete closes its FIFO ends
// first), so wait until the reader took it: this often, this many times (2 s).
constexpr auto kDrainPoll = std::chrono::milliseconds(10);
constexpr int kMaxDrainPolls = 200;

void SetNonBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

}  // namespace

Pump::Pump(EventLoop* loop, UniqueFd src, Options options, std::function<void()> on_done)
    : loop_(loop), src_(std::move(src)), o_(std::move(options)), on_done_(std::move(on_done)) {}

Pump::~Pump() {
  *alive_ = false;
  if (src_watched_) loop_->Remove(src_.get());
  if (dst_watched_) loop_->Remove(dst_.get());
}

Status Pump::Start() {
  SetNonBlocking(src_.get());
  if (o_.dst_fd.valid()) {
    dst_ = std::move(o_.dst_fd);
    struct stat st {};
    dst_is_file_ = fstat(dst_.get(), &st) == 0 && S_ISREG(st.st_mode);
    if (!dst_is_file_) SetNonBlocking(dst_.get());
  } else if (!o_.dst_path.empty()) {
    TryOpenDest();
  } else {
    discarding_ = true;  // nowhere to write: drain only
  }
  UpdateSourceInterest();
  return Status::Ok();
}

void Pump::Cancel() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  if (src_watched_) loop_->Remove(src_.get());
  if (dst_watched_) loop_->Remove(dst_.get());
  src_watched_ = dst_watched_ = false;
  src_.Reset();
  dst_.Reset();
  done_ = true;
}

void Pump::TryOpenDest() {
  reopen_pending_ = false;
  if (done_) return;
  struct stat st {};
  bool is_fifo = stat(o_.dst_path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  int fd;
  if (is_fifo) {
    fd = open(o_.dst_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  } else {
    fd = open(o_.dst_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    dst_is_file_ = fd >= 0;
  }
  if (fd >= 0) {
    dst_.Reset(fd);
    if (discarding_) spdlog::info("stdio: reader of {} is back", o_.dst_path);
    discarding_ = false;
    Flush();
    UpdateSourceInterest();
    return;
  }
  int err = errno;
  bool never_opened = copied_ == 0 && discarded_ == 0;
  if (err != ENXIO && err != ENOENT) {
    spdlog::warn("stdio: opening {}: {}", o_.dst_path, strerror(err));
  }
  // Still no reader. Before the first byte went anywhere, keep the data (bounded wait); later, or
  // after the budget, discard so the process is not held up.
  if (never_opened && open_attempts_ < kMaxOpenRetries) {
    ++open_attempts_;
  } else if (!discarding_) {
    spdlog::warn("stdio: no reader on {} after {} bytes ({}); discarding", o_.dst_path, copied_,
                 strerror(err));
    discarding_ = true;
    discarded_ += buf_.size() - off_;
    buf_.clear();
    off_ = 0;
  }
  if (src_eof_ && discarding_) {
    Finish();
    return;
  }
  reopen_pending_ = true;
  std::weak_ptr<bool> alive = alive_;
  loop_->RunAfter(discarding_ ? kReattachRetry : kOpenRetry, [this, alive] {
    auto a = alive.lock();
    if (a && *a) TryOpenDest();
  });
  UpdateSourceInterest();
}

void Pump::UpdateSourceInterest() {
  if (done_ || !src_.valid()) return;
  bool full = !discarding_ && buf_.size() - off_ >= o_.max_buffer;
  bool want = !src_eof_ && !full;
  if (want && !src_watched_) {
    Status st = loop_->Add(src_.get(), EPOLLIN, [this](uint32_t ev) { OnSource(ev); });
    if (!st.ok()) {
      spdlog::error("stdio: watching source: {}", st.ToString());
      return;
    }
    src_watched_ = true;
  } else if (!want && src_watched_) {
    // Removed rather than masked: EPOLLHUP is reported even with no events requested.
    loop_->Remove(src_.get());
    src_watched_ = false;
  }
}

void Pump::OnSource(uint32_t events) {
  char tmp[kChunk];
  for (int round = 0; round < 16; ++round) {
    if (!discarding_ && buf_.size() - off_ >= o_.max_buffer) break;
    ssize_t n = read(src_.get(), tmp, sizeof(tmp));
    if (n > 0) {
      if (discarding_) {
        discarded_ += n;
      } else {
        buf_.append(tmp, n);
      }
      continue;
    }
    if (n == 0) {
      // A FIFO without writers reads 0 before its first writer came; only HUP makes it final.
      if (o_.src_is_fifo && !(events & EPOLLHUP)) break;
      src_eof_ = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    if (errno != EIO) spdlog::warn("stdio: read: {}", strerror(errno));
    src_eof_ = true;  // EIO: the pty's slave side is closed
    break;
  }
  if (src_eof_ && src_watched_) {
    loop_->Remove(src_.get());
    src_watched_ = false;
    src_.Reset();
  }
  Flush();
  UpdateSourceInterest();
}

void Pump::OnDest(uint32_t) { Flush(); UpdateSourceInterest(); }

void Pump::Flush() {
  if (done_) return;
  if (dst_.valid() && !discarding_) {
    while (off_ < buf_.size()) {
      ssize_t w = write(dst_.get(), buf_.data() + off_, buf_.size() - off_);
      if (w > 0) {
        off_ += w;
        copied_ += w;
        gone_attempts_ = 0;
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) break;
      if (w < 0 && errno == EPIPE && !o_.dst_path.empty() && gone_attempts_ < kMaxOpenRetries) {
        // No reader right now (SIGPIPE is blocked in the shim). Readers come and go (containerd's
        // fifo package reopens its end): keep our end — so what the FIFO already holds is not
        // freed — and the buffer, hold the process back, and retry. Only a reader that stays
        // away makes us discard.
        ++gone_attempts_;
        if (dst_watched_) loop_->Remove(dst_.get());
        dst_watched_ = false;
        if (!reopen_pending_) {
          reopen_pending_ = true;
          std::weak_ptr<bool> alive = alive_;
          loop_->RunAfter(kOpenRetry, [this, alive] {
            auto a = alive.lock();
            if (!a || !*a) return;
            reopen_pending_ = false;
            Flush();
            UpdateSourceInterest();
          });
        }
        UpdateSourceInterest();
        return;
      }
      // EPIPE for good: the reader is gone. Keep draining the process so it never blocks.
      spdlog::warn("stdio: writing {} failed after {} bytes ({}); discarding until a reader returns",
                   o_.dst_path, copied_, w < 0 ? strerror(errno) : "short write");
      discarding_ = true;
      discarded_ += buf_.size() - off_;
      buf_.clear();
      off_ = 0;
      if (dst_watched_) loop_->Remove(dst_.get());
      dst_watched_ = false;
      dst_.Reset();
      if (!o_.dst_path.empty() && !src_eof_ && !reopen_pending_) {
        reopen_pending_ = true;
        std::weak_ptr<bool> alive = alive_;
        loop_->RunAfter(kReattachRetry, [this, alive] {
          auto a = alive.lock();
          if (a && *a) TryOpenDest();
        });
      }
      break;
    }
    if (off_ == buf_.size()) {
      buf_.clear();
      off_ = 0;
    } else if (off_ > o_.max_buffer) {
      buf_.erase(0, off_);
      off_ = 0;
    }
    bool want_out = off_ < buf_.size() && !dst_is_file_;
    if (want_out && !dst_watched_) {
      if (loop_->Add(dst_.get(), EPOLLOUT, [this](uint32_t ev) { OnDest(ev); }).ok()) {
        dst_watched_ = true;
      }
    } else if (!want_out && dst_watched_) {
      loop_->Remove(dst_.get());
      dst_watched_ = false;
    }
  }
  if (src_eof_ && (discarding_ || buf_.size() == off_) && (dst_.valid() || discarding_)) {
    if (!discarding_ && ReaderBehind()) {
      if (!drain_pending_) {
        drain_pending_ = true;
        ++drain_polls_;
        std::weak_ptr<bool> alive = alive_;
        loop_->RunAfter(kDrainPoll, [this, alive] {
          auto a = alive.lock();
          if (!a || !*a) return;
          drain_pending_ = false;
          Flush();
        });
      }
      return;
    }
    Finish();
  }
}

bool Pump::ReaderBehind() {
  if (!dst_.valid() || dst_is_file_ || o_.dst_path.empty()) return false;
  if (drain_polls_ >= kMaxDrainPolls) {
    spdlog::warn("stdio: reader of {} left data unread in the FIFO", o_.dst_path);
    return false;
  }
  int unread = 0;
  if (ioctl(dst_.get(), FIONREAD, &unread) < 0 || unread <= 0) return false;
  // No reader at all (POLLERR): nobody will take it; closing our end is all we can do.
  pollfd p{dst_.get(), POLLOUT, 0};
  if (poll(&p, 1, 0) == 1 && (p.revents & POLLERR)) return false;
  return true;
}

void Pump::Finish() {
  if (done_) return;
  done_ = true;
  *alive_ = false;
  if (src_watched_) loop_->Remove(src_.get());
  if (dst_watched_) loop_->Remove(dst_.get());
  src_watched_ = dst_watched_ = false;
  src_.Reset();
  dst_.Reset();
  if (discarded_ > 0) spdlog::warn("stdio: {} bytes of output had no reader", discarded_);
  if (on_done_) {
    auto fn = std::move(on_done_);
    fn();
  }
}

// ----------------------------------------------------------------------------------------------

namespace {

struct Uri {
  std::string scheme, path;
  std::vector<std::pair<std::string, std::string>> query;
};

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      if (sscanf(s.substr(i + 1, 2).c_str(), "%2x", &v) == 1) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

// Go's url.Parse for the forms containerd produces: "/path" (fifo), "scheme:///path?query".
Uri ParseUri(const std::string& s) {
  Uri u;
  auto colon = s.find("://");
  std::string rest = s;
  if (colon != std::string::npos && s[0] != '/') {
    u.scheme = s.substr(0, colon);
    rest = s.substr(colon + 3);
    auto slash = rest.find('/');  // skip the (empty) host
    rest = slash == std::string::npos ? "" : rest.substr(slash);
  }
  auto q = rest.find('?');
  u.path = PercentDecode(rest.substr(0, q));
  if (q != std::string::npos) {
    std::string query = rest.substr(q + 1);
    size_t pos = 0;
    while (pos <= query.size()) {
      auto amp = query.find('&', pos);
      std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      if (!kv.empty()) {
        auto eq = kv.find('=');
        u.query.emplace_back(PercentDecode(kv.substr(0, eq)),
                             eq == std::string::npos ? "" : PercentDecode(kv.substr(eq + 1)));
      }
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  if (u.scheme.empty()) u.scheme = "fifo";
  return u;
}

Status MakePipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return ErrnoStatus("pipe2");
  r->Reset(p[0]);
  w->Reset(p[1]);
  return Status::Ok();
}

// Starts a binary:// logger; returns once it signalled readiness (or exited).
Status StartBinaryLogger(const Uri& u, const std::string& id, const std::string& ns, UniqueFd out_r,
                         UniqueFd err_r) {
  UniqueFd ready_r, ready_w;
  SEE_RETURN_IF_ERROR(MakePipe(&ready_r, &ready_w));
  std::vector<std::string> args = {u.path};
  for (auto& [k, v] : u.query) {
    args.push_back(k);
    if (!v.empty()) args.push_back(v);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string env_id = "CONTAINER_ID=" + id, env_ns = "CONTAINER_NAMESPACE=" + ns;
  char* envp[] = {env_id.data(), env_ns.data(), nullptr};
  // Above 5 so the dup2s below never overwrite a source.
  int o = fcntl(out_r.get(), F_DUPFD_CLOEXEC, 10), e = fcntl(err_r.get(), F_DUPFD_CLOEXEC, 10),
      rw = fcntl(ready_w.get(), F_DUPFD_CLOEXEC, 10);
  UniqueFd ho(o), he(e), hr(rw);
  if (o < 0 || e < 0 || rw < 0) return ErrnoStatus("dup");
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setsid();
    if (dup2(o, 3) < 0 || dup2(e, 4) < 0 || dup2(rw, 5) < 0) _exit(126);
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  // The logger is reaped by the shim's reaper like any other orphan-style child.
  ready_w.Reset();
  hr.Reset();
  pollfd p{ready_r.get(), POLLIN, 0};
  // Bounded like nothing in Go (it blocks); a logger that never gets ready must not wedge the pod.
  if (poll(&p, 1, 10000) <= 0) return Internal("binary logger " + u.path + " did not become ready");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ProcessIo>> ProcessIo::Create(EventLoop* loop, const StdioPaths& paths,
                                                     const std::string& id,
                                                     const std::string& ns) {
  std::unique_ptr<ProcessIo> io(new ProcessIo(loop, paths));
  if (paths.terminal) return io;  // the console master arrives after create
  UniqueFd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!paths.stdin_path.empty()) {
    SEE_RETURN_IF_ERROR(MakePipe(&io->process_[0], &io->shim_in_));
  }
  if (paths.stdout_path.empty() && paths.stderr_path.empty()) return io;
  Uri u = ParseUri(!paths.stdout_path.empty() ? paths.stdout_path : paths.stderr_path);
  if (u.scheme == "fifo" || u.scheme == "file") {
    if (u.scheme == "file") {
      // Both streams go to the one file (io.go does the same).
      auto slash = u.path.rfind('/');
      if (slash != std::string::npos && slash > 0) SEE_RETURN_IF_ERROR(MkdirAll(u.path.substr(0, slash)));
      io->paths_.stdout_path = io->paths_.stderr_path = u.path;
    }
    if (!io->paths_.stdout_path.empty()) {
      SEE_RETURN_IF_ERROR(MakePipe(&io->shim_out_, &io->process_[1]));
    }
    if (!io->paths_.stderr_path.empty()) {
      SEE_RETURN_IF_ERROR(MakePipe(&io->shim_err_, &io->process_[2]));
    }
    return io;
  }
  if (u.scheme == "binary") {
    UniqueFd out_r, err_r;
    SEE_RETURN_IF_ERROR(MakePipe(&out_r, &io->process_[1]));
    SEE_RETURN_IF_ERROR(MakePipe(&err_r, &io->process_[2]));
    SEE_RETURN_IF_ERROR(StartBinaryLogger(u, id, ns, std::move(out_r), std::move(err_r)));
    io->paths_.stdout_path.clear();  // no copying: the logger reads the pipes itself
    io->paths_.stderr_path.clear();
    return io;
  }
  return InvalidArgument("unknown STDIO scheme " + u.scheme);
}

ProcessIo::~ProcessIo() = default;

void ProcessIo::CloseProcessEnds() {
  for (auto& fd : process_) fd.Reset();
}

Status ProcessIo::Start() {
  started_ = true;
  auto done = [this] { CheckDone(); };
  if (shim_out_.valid()) {
    Pump::Options o;
    o.dst_path = paths_.stdout_path;
    out_ = std::make_unique<Pump>(loop_, std::move(shim_out_), std::move(o), done);
    SEE_RETURN_IF_ERROR(out_->Start());
  }
  if (shim_err_.valid()) {
    Pump::Options o;
    o.dst_path = paths_.stderr_path;
    err_ = std::make_unique<Pump>(loop_, std::move(shim_err_), std::move(o), done);
    SEE_RETURN_IF_ERROR(err_->Start());
  }
  if (shim_in_.valid()) {
    int fd = open(paths_.stdin_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("opening stdin " + paths_.stdin_path);
    Pump::Options o;
    o.dst_fd = std::move(shim_in_);
    o.src_is_fifo = true;
    in_ = std::make_unique<Pump>(loop_, UniqueFd(fd), std::move(o), nullptr);
    SEE_RETURN_IF_ERROR(in_->Start());
  }
  CheckDone();
  return Status::Ok();
}

Status ProcessIo::StartConsole(UniqueFd master) {
  started_ = true;
  console_ = std::move(master);
  auto done = [this] { CheckDone(); };
  if (!paths_.stdout_path.empty()) {
    UniqueFd dup(fcntl(console_.get(), F_DUPFD_CLOEXEC, 0));
    if (!dup) return ErrnoStatus("dup console");
    Pump::Options o;
    o.dst_path = paths_.stdout_path;
    out_ = std::make_unique<Pump>(loop_, std::move(dup), std::move(o), done);
    SEE_RETURN_IF_ERROR(out_->Start());
  }
  if (!paths_.stdin_path.empty()) {
    int fd = open(paths_.stdin_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("opening stdin " + paths_.stdin_path);
    UniqueFd dup(fcntl(console_.get(), F_DUPFD_CLOEXEC, 0));
    if (!dup) return ErrnoStatus("dup console");
    Pump::Options o;
    o.dst_fd = std::move(dup);
    o.src_is_fifo = true;
    in_ = std::make_unique<Pump>(loop_, UniqueFd(fd), std::move(o), nullptr);
    SEE_RETURN_IF_ERROR(in_->Start());
  }
  CheckDone();
  return Status::Ok();
}

Status ProcessIo::Resize(uint32_t width, uint32_t height) {
  if (!console_.valid()) return FailedPrecondition("process does not have a terminal");
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  if (ioctl(console_.get(), TIOCSWINSZ, &ws) < 0) return ErrnoStatus("TIOCSWINSZ");
  return Status::Ok();
}

void ProcessIo::CloseStdin() {
  if (in_) {
    // Whatever was already read is dropped with the pump; containerd closes stdin after its
    // writer finished, so in practice the buffer is empty.
    in_->Cancel();
  }
  shim_in_.Reset();
}

bool ProcessIo::output_done() const {
  return started_ && (!out_ || out_->done()) && (!err_ || err_->done());
}

void ProcessIo::OnOutputDone(std::function<void()> fn) {
  if (output_done()) {
    fn();
    return;
  }
  done_fns_.push_back(std::move(fn));
}

void ProcessIo::CheckDone() {
  // The console stays open until the process is deleted: containerd may still resize it.
  if (!output_done()) return;
  auto fns = std::move(done_fns_);
  done_fns_.clear();
  for (auto& fn : fns) fn();
}

void ProcessIo::Cancel() {
  if (in_) in_->Cancel();
  if (out_) out_->Cancel();
  if (err_) err_->Cancel();
}

}  // namespace see::shim
