// A process's stdio as containerd hands it to a shim (pkg/process/io.go): stdin/stdout/stderr are
// FIFO paths that containerd (or ctr) opened on its side, `file:///path` (stdout and stderr
// appended to one file) or `binary:///path?k=v` (a logging binary gets the output pipes as fds 3
// and 4 and signals readiness by closing fd 5); empty means /dev/null. With a terminal, the
// container's pty master is copied to stdout and stdin to it; stderr is unused.
//
// Copying is event driven on the shim's EventLoop: one Pump per direction, no thread per stream.
// Output is never dropped while someone reads: a full FIFO stops the pump reading the process's
// pipe (back-pressure, like the Go shim's blocking io.Copy). When nobody reads any more (the FIFO
// reader went away: EPIPE), the pump keeps draining the process and discards, so the process never
// blocks forever on a dead reader, and reattaches when a reader reopens the FIFO (containerd
// restarted and restored its IO).
//
// Threading: everything on the loop thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "shim/event_loop.h"

namespace see::shim {

struct StdioPaths {
  std::string stdin_path, stdout_path, stderr_path;
  bool terminal = false;
};

// Copies bytes from `src` to a destination until `src` reaches EOF, then closes the destination
// and calls on_done (once). Non-blocking on both sides. With a FIFO destination, "done" also
// waits (bounded, 2 s) until the reader took what the FIFO holds: a process's exit is reported
// only after its output is done, and containerd's client closes its FIFO ends on the exit.
class Pump {
 public:
  struct Options {
    // Destination: an open fd (dst_fd), or a path opened by the pump: a FIFO (opened
    // O_WRONLY|O_NONBLOCK, retried while it has no reader) or a regular file (O_APPEND).
    UniqueFd dst_fd;
    std::string dst_path;
    size_t max_buffer = 1u << 20;
    // The source is a FIFO whose EOF is only final after EPOLLHUP (a FIFO without writers reads 0).
    bool src_is_fifo = false;
  };

  Pump(EventLoop* loop, UniqueFd src, Options options, std::function<void()> on_done);
  ~Pump();
  Pump(const Pump&) = delete;
  Pump& operator=(const Pump&) = delete;

  // Registers with the loop. Errors: epoll registration of the source.
  Status Start();
  // Stops copying now (without flushing) and closes both ends; on_done is not called.
  void Cancel();

  bool done() const { return done_; }
  uint64_t bytes_copied() const { return copied_; }
  uint64_t bytes_discarded() const { return discarded_; }

 private:
  void OnSource(uint32_t events);
  void OnDest(uint32_t events);
  void TryOpenDest();
  void Flush();
  void UpdateSourceInterest();
  void Finish();
  // The FIFO destination still holds data and has a reader (bounded by a poll budget).
  bool ReaderBehind();

  EventLoop* loop_;
  UniqueFd src_;
  Options o_;
  UniqueFd dst_;
  bool dst_is_file_ = false;     // regular file: always writable, not epoll-able
  bool dst_watched_ = false;
  bool src_watched_ = false;
  bool src_eof_ = false;
  bool discarding_ = false;      // the reader went away
  bool reopen_pending_ = false;
  int open_attempts_ = 0;        // while the FIFO never had a reader
  int gone_attempts_ = 0;        // write retries since the reader went away
  bool drain_pending_ = false;   // waiting for the reader to empty the FIFO
  int drain_polls_ = 0;
  bool done_ = false;
  std::string buf_;
  size_t off_ = 0;
  uint64_t copied_ = 0, discarded_ = 0;
  std::function<void()> on_done_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for delayed retries
};

// All stdio of one process. Create() before the process exists: it makes the pipes whose
// other ends the process gets (ProcessFds); Start() after the process was created copies.
class ProcessIo {
 public:
  // `id`/`ns` are given to a binary:// logger as CONTAINER_ID/CONTAINER_NAMESPACE.
  // Errors: bad URI scheme (InvalidArgument), pipe/open/spawn failures.
  static Result<std::unique_ptr<ProcessIo>> Create(EventLoop* loop, const StdioPaths& paths,
                                                   const std::string& id, const std::string& ns);
  ~ProcessIo();

  // The process's 0, 1, 2 (-1: /dev/null). Valid until CloseProcessEnds(). Terminal: all -1.
  int process_fd(int n) const { return process_[n].get(); }
  // The shim's copies of the process ends must go once the process holds them, or EOF never comes.
  void CloseProcessEnds();

  // Starts copying through pipes (non-terminal) — or, for a terminal, copies to/from `master`.
  Status Start();
  Status StartConsole(UniqueFd master);

  Status Resize(uint32_t width, uint32_t height);
  // Closes the process's stdin (CloseIO): EOF for the process once buffered input is written.
  void CloseStdin();

  // True once every output stream reached EOF and was flushed (or there is none).
  bool output_done() const;
  // `fn` runs once output_done() becomes true (immediately if it already is).
  void OnOutputDone(std::function<void()> fn);
  // Abandons copying (shim teardown).
  void Cancel();

  const StdioPaths& paths() const { return paths_; }

 private:
  ProcessIo(EventLoop* loop, StdioPaths paths) : loop_(loop), paths_(std::move(paths)) {}
  void CheckDone();

  EventLoop* loop_;
  StdioPaths paths_;
  UniqueFd process_[3];
  UniqueFd shim_in_, shim_out_, shim_err_;  // shim ends of the pipes
  UniqueFd console_;                         // pty master (terminal)
  std::unique_ptr<Pump> in_, out_, err_;
  std::vector<std::function<void()>> done_fns_;
  bool started_ = false;
};

}  // namespace see::shim
