# sandbox-tests: Debian bookworm with what the sandbox conformance suite (e2e/sandbox/) runs inside
# a container: CPython's own regression tests (libpython3.11-testsuite), numpy and pandas, a JDK
# (headless; the JDK rather than the JRE so `java Foo.java` can launch a single-file program:
# source launch needs the jdk.compiler module), busybox for shell scripts, and
# procps for ps/free). Heavy (~900 MB, ~10 min to build): built when named (`scripts/images.sh sandbox-tests`),
# not by `all`. Sourced by images.sh.

image_inputs_sandbox-tests() { debian_mirror; dpkg-query -W mmdebstrap; }

build_sandbox-tests() {
  local root=$1/rootfs mirror
  mirror=$(debian_mirror)
  log "mmdebstrap sandbox-tests from $mirror"
  # No dpkg path-exclude here (unlike python3.sh): with it, the JDK's maintainer scripts failed in
  # the chroot; the docs are removed afterwards instead.
  mmdebstrap --quiet --variant=apt \
    --include=python3,libpython3.11-testsuite,python3-numpy,python3-pandas,openjdk-17-jdk-headless,busybox,procps \
    bookworm "$root" "$mirror" >&2
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
         "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log
  grep -q '^user:' "$root/etc/passwd" || chroot "$root" useradd -u 1000 -m user
  echo '{"Cmd": ["/usr/bin/python3"]}' >"$1/image-config.json"
}
