// Builds and installs the container seccomp filter from the syscall table.
//
// Why hand-built classic BPF rather than libseccomp: the table's host rows need "refuse on these
// argument values, otherwise allow" while numbers outside the table must still get ENOSYS; with
// libseccomp that needs the filter default to be ALLOW, and mixed-action rules for one syscall are
// resolved by rules internal to the library. Emitting the program ourselves keeps the semantics
// exactly those of Evaluate() in syscall_table.h (tests check every row against an interpreter),
// compares arguments on their low 32 bits only, and decides every number in a few instructions.
//
// Program shape: arch != x86-64 (i386 via int $0x80) -> foreign-ABI action; nr >= 0x40000000 (x32)
// -> foreign-ABI action; then a binary search (`jge`) over runs of consecutive numbers with the
// same decision (~150 runs: 8 comparisons, then the verdict); rows with argument rules jump to a
// rule block; numbers above the table -> ENOSYS.
// Host rows without argument rules reach SECCOMP_RET_ALLOW by loading only arch and nr, so the
// kernel's per-syscall action cache (seccomp_cache_prepare, Linux 5.11+) allows them without
// running the program at all: getppid, read, futex... cost the filter nothing but the seccomp
// entry path. Only rows with rules (ioctl, fcntl, socket, clone, prctl...), sentry and denied
// calls run it.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "sentry-lite/syscalls/syscall_table.h"

namespace see::sentry {

struct FilterOptions {
  // Result for i386 and x32 calls: ENOSYS (nothing runs; probing libraries see "not supported").
  uint32_t foreign_abi_action = SECCOMP_RET_ERRNO | ENOSYS;
};

// A complete classic BPF program for seccomp. Fails only if the table produces a program the
// kernel would refuse (too long, a jump out of range).
Result<std::vector<sock_filter>> BuildSyscallFilter(std::span<const SyscallRow> table,
                                                    const FilterOptions& options = {});

// Convenience: the filter for SyscallTable().
Result<std::vector<sock_filter>> BuildDefaultSyscallFilter();

// Installs `prog` on the calling thread with SECCOMP_FILTER_FLAG_NEW_LISTENER | `extra_flags`,
// after setting no_new_privs unless `no_new_privs` is false (then the caller needs CAP_SYS_ADMIN
// in its user namespace, and setuid/setgid files and file capabilities keep working after the
// filter, as for a container whose process.noNewPrivileges is false). Returns the listener fd, or
// -errno. Async-signal-safe (only raw syscalls) so it can run between fork/clone and execve;
// `prog` must be built beforehand.
int InstallSyscallFilterRaw(const sock_fprog* prog, unsigned extra_flags = 0,
                            bool no_new_privs = true);

// Runs `prog` over `data` as the kernel would (the subset of classic BPF the builder emits).
// For tests and the docs; returns SECCOMP_RET_KILL_PROCESS on a malformed program. `steps`, when
// given, receives the number of instructions run.
uint32_t RunSeccompFilter(std::span<const sock_filter> prog, const seccomp_data& data,
                          size_t* steps = nullptr);

// Whether the kernel's seccomp action cache allows `nr` without running `prog` (the kernel's own
// emulation, seccomp_is_const_allow: only arch/nr loads, K jumps and AND before an ALLOW).
bool KernelCachesAllow(std::span<const sock_filter> prog, int nr);

}  // namespace see::sentry
