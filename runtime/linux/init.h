// The process side of create and exec. A binary linking see_runtime must call RunInitMain first
// thing in main() when argv[1] is kInitArg: the runtime starts containers by re-executing
// RuntimeOptions::init_path as `<init_path> init <fd-base>`, so that all set-up runs in a fresh,
// single-threaded process no matter how many threads the caller has (the shim).
#pragma once

namespace see::runtime {

inline constexpr const char* kInitArg = "init";

// Stage 0 joins namespaces named by path, clones the container process (CLONE_PARENT: it becomes
// a child of the runtime, not of stage 0) into new namespaces and exits; the container process
// follows the protocol in sync.h, sets everything up and execs process.args. Never returns.
[[noreturn]] void RunInitMain(int argc, char** argv);

}  // namespace see::runtime
