// Cleanup: runs a callable when it goes out of scope unless Release()d. Used to make multi-step
// creation transactional: each step registers its undo, the last step releases them all.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace see {

template <typename F>
class [[nodiscard]] Cleanup {
 public:
  explicit Cleanup(F f) : f_(std::move(f)) {}
  ~Cleanup() {
    if (armed_) f_();
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  Cleanup(Cleanup&& o) noexcept : f_(std::move(o.f_)), armed_(std::exchange(o.armed_, false)) {}

  void Release() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

// A stack of undo steps run in reverse order unless Release()d.
class UndoStack {
 public:
  UndoStack() = default;
  ~UndoStack() { Run(); }
  UndoStack(const UndoStack&) = delete;
  UndoStack& operator=(const UndoStack&) = delete;

  void Push(std::function<void()> undo) { steps_.push_back(std::move(undo)); }
  void Release() { steps_.clear(); }
  void Run() {
    while (!steps_.empty()) {
      auto step = std::move(steps_.back());
      steps_.pop_back();
      step();
    }
  }

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace see
