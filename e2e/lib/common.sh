# Shared helpers of the see test and benchmark scripts. Source it; needs bash with set -euo pipefail.
#
# see_log MSG...            progress line on stderr
# see_fail MSG...           records a failure (the script continues; see_finish exits non-zero)
# see_check NAME CMD...     runs CMD, records pass/fail under NAME
# see_expect_eq NAME WANT GOT
# see_finish                prints the summary, exits 1 if anything failed

# Runtimes and mount tools live in sbin; CTest and sudo environments may not have it on PATH.
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

SEE_FAILURES=()
SEE_PASSES=0

see_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

see_fail() {
  SEE_FAILURES+=("$*")
  echo "FAIL: $*" >&2
}

see_pass() {
  SEE_PASSES=$((SEE_PASSES + 1))
  echo "ok:   $*" >&2
}

see_expect_eq() {
  local name=$1 want=$2 got=$3
  if [[ $want == "$got" ]]; then
    see_pass "$name"
  else
    see_fail "$name: want [$want] got [$got]"
  fi
}

see_expect_match() {
  local name=$1 pattern=$2 got=$3
  if [[ $got =~ $pattern ]]; then
    see_pass "$name"
  else
    see_fail "$name: [$got] does not match /$pattern/"
  fi
}

see_check() {
  local name=$1
  shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if ((rc == 0)); then
    see_pass "$name"
  else
    see_fail "$name: '$*' exited $rc: $out"
  fi
}

# see_wait_for TIMEOUT_S CMD...: polls CMD every 0.1 s until it succeeds; non-zero on timeout.
# (A readiness wait, not a timing assertion: the timeout only bounds a hang.)
see_wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

see_finish() {
  local name=${1:-test}
  echo "$name: $SEE_PASSES passed, ${#SEE_FAILURES[@]} failed" >&2
  if ((${#SEE_FAILURES[@]})); then
    printf '  FAIL: %s\n' "${SEE_FAILURES[@]}" >&2
    exit 1
  fi
}

# see_repo_root: the checkout this file lives in.
see_repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); }

# see_images [NAME...]: builds (or reuses) the cached test images; prints nothing.
see_images() { "$(see_repo_root)/scripts/images.sh" "$@" >/dev/null; }
SEE_IMAGE_CACHE=${SEE_IMAGE_CACHE:-/var/cache/see/images}

# see_unmount_under DIR: lazily unmounts every mount point at or below DIR, deepest first.
see_unmount_under() {
  local dir
  dir=$(readlink -f "$1")
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo \
    | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# see_mounts_under DIR: lists mount points at or below DIR (empty when clean).
see_mounts_under() {
  local dir
  dir=$(readlink -f "$1")
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# see_sentry_tree PID...: the see-sentry processes below these (shim) pids: each pod's init (comm
# see-pod-init, the shim's child), its server (see-sentry) and, in a pod user namespace, the
# server's registrar (see-registrar). Container processes, also the pod init's children, are not.
see_sentry_tree() {
  local parents=" $* " p ppid found=1
  while ((found)); do
    found=0
    for p in /proc/[0-9]*; do
      p=${p#/proc/}
      [[ $parents == *" $p "* ]] && continue
      ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
      [[ $parents == *" $ppid "* ]] || continue
      [[ $(readlink "/proc/$p/exe" 2>/dev/null) == */see-sentry ]] || continue
      echo "$p"
      parents+="$p "
      found=1
    done
  done
}

# see_with_comm COMM PID...: those of the pids whose /proc/<pid>/comm is COMM (see-pod-init,
# see-sentry, see-registrar tell a pod's sentry processes apart).
see_with_comm() {
  local comm=$1 p
  shift
  for p in "$@"; do [[ $(cat "/proc/$p/comm" 2>/dev/null) != "$comm" ]] || echo "$p"; done
  return 0
}

# see_pids_matching STRING: pids whose command line contains STRING (not this shell's own).
see_pids_matching() {
  local s=$1 p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$s"; then echo "$p"; fi
  done
}

# see_cgroup_dirs REL: existing v1/v2 cgroup directories named REL under /sys/fs/cgroup/*.
see_cgroup_dirs() {
  local rel=$1 c
  for c in /sys/fs/cgroup/*/; do
    [[ -d $c$rel ]] && echo "$c$rel"
  done
  return 0
}

# see_rmdir_cgroups REL: removes cgroup dirs named REL (children first); kills what is left in them.
see_rmdir_cgroups() {
  local rel=$1 d
  while read -r d; do
    [[ -n $d ]] || continue
    find "$d" -depth -type d | while read -r sub; do
      # Thaw first: a SIGKILLed task in a frozen cgroup does not die until thawed.
      [[ -f $sub/freezer.state ]] && echo THAWED >"$sub/freezer.state" 2>/dev/null || true
      if [[ -f $sub/cgroup.procs ]]; then
        xargs -r kill -9 <"$sub/cgroup.procs" 2>/dev/null || true
      fi
      local i
      for i in $(seq 50); do
        rmdir "$sub" 2>/dev/null && break
        [[ -d $sub ]] || break
        sleep 0.1
      done
    done
  done < <(see_cgroup_dirs "$rel")
}
