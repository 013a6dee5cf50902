#!/usr/bin/env python3
"""runc-vs-runsee conformance: every OCI feature is checked from INSIDE the container.

Each check writes a bundle (config.json from `runc spec` defaults + the feature under test,
rootfs = a copy of the busybox image), runs `<runtime> --root R run --bundle B ID`, and judges
stdout/stderr/exit code (and host-side files). Every check runs under each runtime given.

  conformance.py features  --runtime runc=/usr/sbin/runc --runtime runsee=build/bin/runsee [--only NAME,...]
  conformance.py badinput  --runtime runsee=build/bin/runsee
  conformance.py cycles    --runtime runsee=build/bin/runsee [--cycles 200]

features: prints a table (feature, runc, runsee...) and fails if the candidate (every runtime after
the first) fails a check the reference (the first) passes, or if the reference fails a check
(a check the reference fails is a broken check).
badinput: invalid config.json files must be refused (non-zero exit, the field named in stderr or
the --log file) and leave no process, mount, cgroup or state dir behind.
cycles: create+start+wait+delete of /bin/true N times; mounts, cgroup dirs, processes, driver fds
and state dirs must be the same before and after.
Needs root; python3 stdlib only.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin"
IMAGE_CACHE = os.environ.get("SEE_IMAGE_CACHE", "/var/cache/see/images")
RUN_TIMEOUT = 20
# A hanging runtime must not eat the whole CTest budget: checks after this are reported as not run.
DEADLINE_S = float(os.environ.get("SEE_CONF_DEADLINE", "240"))

CAP_NUMBERS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3,
    "CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
    "CAP_LINUX_IMMUTABLE": 9, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11,
    "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
    "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19,
    "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
    "CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
    "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31,
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def cap_mask(names):
    m = 0
    for n in names:
        m |= 1 << CAP_NUMBERS[n]
    return "%016x" % m


class Result:
    def __init__(self, ok, detail=""):
        self.ok = ok
        self.detail = detail


class Run:
    """Outcome of one `<runtime> run`."""

    def __init__(self, rc, out, err, bundle, log_text):
        self.rc, self.out, self.err, self.bundle, self.log = rc, out, err, bundle, log_text

    def describe(self):
        return "rc=%s stdout=%r stderr=%r log=%r" % (
            self.rc, self.out[-600:], self.err[-600:], self.log[-600:])


# --------------------------------------------------------------------------------------------
# Host state helpers (shared by all suites)

def mount_points(prefix=None):
    pts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            if prefix is None or mp == prefix or mp.startswith(prefix + "/"):
                pts.append(mp)
    return pts


def unmount_under(prefix):
    for mp in sorted(mount_points(prefix), reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def cgroup_dirs(rel):
    out = []
    base = "/sys/fs/cgroup"
    for c in sorted(os.listdir(base)):
        d = os.path.join(base, c, rel.lstrip("/"))
        if os.path.isdir(d):
            for root, dirs, _ in os.walk(d):
                out.append(root)
    return out


def remove_cgroups(rel):
    for d in sorted(cgroup_dirs(rel), key=len, reverse=True):
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                for p in f.read().split():
                    try:
                        os.kill(int(p), signal.SIGKILL)
                    except OSError:
                        pass
        except OSError:
            pass
        if os.path.exists(os.path.join(d, "freezer.state")):
            try:
                with open(os.path.join(d, "freezer.state"), "w") as f:
                    f.write("THAWED")
            except OSError:
                pass
        for _ in range(50):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)


def pids_with_cmdline(needle):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmd:
            out.append("%s:%s" % (p, cmd.strip()))
    return out


def child_pids():
    out = []
    for t in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/children" % t) as f:
                out += f.read().split()
        except OSError:
            pass
    return sorted(out)


# --------------------------------------------------------------------------------------------
# Bundles

class Env:
    """Per-suite temp dir, runtime roots and the cgroup parent every bundle uses."""

    def __init__(self):
        reap_stale()
        self.tmp = tempfile.mkdtemp(prefix="see-conf.", dir="/var/tmp")
        # tmpfs: bundles are created and removed by the hundred; mode 755 because the mapped uids
        # of the user-namespace check traverse it.
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g,mode=0755", "see-conf", self.tmp], check=True)
        with open(os.path.join(self.tmp, "owner.pid"), "w") as f:
            f.write(str(os.getpid()))
        self.cg_parent = "see-conf-%d" % os.getpid()
        self.counter = 0
        self.busybox = os.path.join(IMAGE_CACHE, "busybox", "rootfs")
        if not os.path.isdir(self.busybox):
            subprocess.run([os.path.join(REPO, "scripts", "images.sh"), "busybox"], check=True,
                           stdout=subprocess.DEVNULL)
        spec_dir = os.path.join(self.tmp, "spec")
        os.makedirs(spec_dir)
        subprocess.run(["runc", "spec"], cwd=spec_dir, check=True)
        with open(os.path.join(spec_dir, "config.json")) as f:
            self.base_spec = json.load(f)

    def root_of(self, rt_name):
        r = os.path.join(self.tmp, "root-" + rt_name)
        os.makedirs(r, exist_ok=True)
        return r

    def new_bundle(self, tag):
        self.counter += 1
        cid = "see-%s-%d" % (tag, self.counter)
        b = os.path.join(self.tmp, cid)
        os.makedirs(b)
        subprocess.run(["cp", "-a", self.busybox, os.path.join(b, "rootfs")], check=True)
        spec = json.loads(json.dumps(self.base_spec))
        spec["root"] = {"path": os.path.join(b, "rootfs"), "readonly": True}
        spec["process"]["terminal"] = False
        spec["process"]["env"] = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]
        spec["hostname"] = "conf"
        spec["linux"]["cgroupsPath"] = "/%s/%s" % (self.cg_parent, cid)
        return cid, b, spec

    def cleanup_bundle(self, rt, cid, bundle):
        subprocess.run(rt.cmd(self.root_of(rt.name), "delete", "-f", cid),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        unmount_under(bundle)
        remove_cgroups("%s/%s" % (self.cg_parent, cid))
        shutil.rmtree(bundle, ignore_errors=True)

    def close(self):
        for r in os.listdir(self.tmp):
            unmount_under(os.path.join(self.tmp, r))
        remove_cgroups(self.cg_parent)
        if not os.environ.get("SEE_KEEP_TMP"):
            unmount_under(self.tmp)
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log("kept %s (a tmpfs; umount it when done)" % self.tmp)


def reap_stale():
    """Removes what runs killed without cleanup (e.g. by a CTest timeout) left behind."""
    for d in os.listdir("/var/tmp"):
        if not d.startswith("see-conf."):
            continue
        path = os.path.join("/var/tmp", d)
        try:
            with open(os.path.join(path, "owner.pid")) as f:
                owner = int(f.read())
        except (OSError, ValueError):
            continue
        try:
            os.kill(owner, 0)
            continue
        except ProcessLookupError:
            pass
        except OSError:
            continue
        log("reaping stale conformance dir %s (owner %d gone)" % (path, owner))
        for p in pids_with_cmdline(path + "/"):
            try:
                os.kill(int(p.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass
        remove_cgroups("see-conf-%d" % owner)
        unmount_under(path)
        shutil.rmtree(path, ignore_errors=True)


class Runtime:
    """NAME=PATH[,GLOBAL-FLAG...], e.g. runsee-none=build/bin/runsee,--sandbox=none."""
    def __init__(self, spec):
        name, _, rest = spec.partition("=")
        path, *flags = rest.split(",") if rest else [""]
        if not path:
            path = shutil.which(name) or name
        self.name, self.path = name, os.path.abspath(path) if os.sep in path else path
        self.flags = flags

    def cmd(self, root, *args):
        return [self.path] + self.flags + ["--root", root] + list(args)


def write_spec(bundle, spec):
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(spec, f, indent=1)


def run_bundle(env, rt, cid, bundle, stdin_data=None):
    logf = os.path.join(bundle, "runtime.log")
    cmd = rt.cmd(env.root_of(rt.name), "--log", logf, "--log-format", "json",
                 "run", "--bundle", bundle, cid)
    try:
        p = subprocess.run(cmd, input=stdin_data.encode() if stdin_data is not None else None,
                           stdin=None if stdin_data is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        rc, out, err = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")
    try:
        with open(logf) as f:
            log_text = f.read()
    except OSError:
        log_text = ""
    return Run(rc, out, err, bundle, log_text)


# --------------------------------------------------------------------------------------------
# Feature checks. Each: prepare(spec, bundle) -> (args, stdin or None); verify(run) -> Result.

CHECKS = []


def check(name):
    def deco(fn):
        CHECKS.append((name, fn))
        return fn
    return deco


def sh(script):
    return ["/bin/sh", "-c", script]


def expect(run, cond, what):
    if cond:
        return Result(True)
    return Result(False, "%s; %s" % (what, run.describe()))


def status_field(out, field):
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


@check("capabilities (root)")
def c_caps_root(spec, bundle):
    bnd = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_AUDIT_WRITE"]
    inh = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    amb = ["CAP_NET_BIND_SERVICE"]
    # For uid 0 execve makes permitted = inheritable | bounding, so the consistent spec is P=E=B.
    spec["process"]["capabilities"] = {"bounding": bnd, "effective": bnd, "permitted": bnd,
                                       "inheritable": inh, "ambient": amb}
    want = {"CapBnd": cap_mask(bnd), "CapEff": cap_mask(bnd), "CapPrm": cap_mask(bnd),
            "CapInh": cap_mask(inh), "CapAmb": cap_mask(amb)}

    def verify(run):
        got = {k: status_field(run.out, k) for k in want}
        return expect(run, run.rc == 0 and got == want, "want %s got %s" % (want, got))
    return sh("cat /proc/self/status"), None, verify


@check("capabilities (uid 1000, ambient)")
def c_caps_user(spec, bundle):
    bnd = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]
    small = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    spec["process"]["user"] = {"uid": 1000, "gid": 1000}
    spec["process"]["capabilities"] = {"bounding": bnd, "effective": small, "permitted": small,
                                       "inheritable": small, "ambient": small}
    want = {"CapBnd": cap_mask(bnd), "CapEff": cap_mask(small), "CapPrm": cap_mask(small),
            "CapInh": cap_mask(small), "CapAmb": cap_mask(small)}

    def verify(run):
        got = {k: status_field(run.out, k) for k in want}
        return expect(run, run.rc == 0 and got == want, "want %s got %s" % (want, got))
    return sh("cat /proc/self/status"), None, verify


@check("noNewPrivileges")
def c_nnp(spec, bundle):
    spec["process"]["noNewPrivileges"] = True

    def verify(run):
        return expect(run, run.rc == 0 and status_field(run.out, "NoNewPrivs") == "1", "NoNewPrivs != 1")
    return sh("cat /proc/self/status"), None, verify


@check("noNewPrivileges off")
def c_nnp_off(spec, bundle):
    spec["process"]["noNewPrivileges"] = False

    def verify(run):
        return expect(run, run.rc == 0 and status_field(run.out, "NoNewPrivs") == "0", "NoNewPrivs != 0")
    return sh("cat /proc/self/status"), None, verify


@check("user uid/gid/additionalGids")
def c_user(spec, bundle):
    spec["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}

    def verify(run):
        lines = run.out.splitlines()
        ok = run.rc == 0 and bool(lines) and lines[0] in ("uid=1000(user) gid=1000(user) groups=10,20",
                                                         "uid=1000(user) gid=1000(user) groups=20,10")
        st = run.out
        ok = ok and status_field(st, "Uid") is not None and status_field(st, "Uid").split() == ["1000"] * 4
        ok = ok and status_field(st, "Gid").split() == ["1000"] * 4
        ok = ok and sorted(status_field(st, "Groups").split()) == ["10", "20"]
        return expect(run, ok, "id / Uid / Gid / Groups mismatch")
    return sh("id; cat /proc/self/status"), None, verify


@check("umask")
def c_umask(spec, bundle):
    spec["process"]["user"]["umask"] = 0o027

    def verify(run):
        return expect(run, run.rc == 0 and run.out.split() == ["0027", "0027"], "umask != 0027")
    return sh("umask; grep Umask /proc/self/status | cut -f2"), None, verify


@check("user namespace uid_map/gid_map")
def c_userns(spec, bundle):
    spec["linux"]["namespaces"].append({"type": "user"})
    spec["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    spec["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    # cgroup v1 mount in a user namespace is refused by the kernel: drop it.
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != "/sys/fs/cgroup"]

    def verify(run):
        got = [" ".join(l.split()) for l in run.out.splitlines()]
        want = ["0 100000 65536", "0 200000 65536", "0 0"]
        return expect(run, run.rc == 0 and got == want, "want %s got %s" % (want, got))
    if not os.stat("/").st_mode & 0o001:
        # The mapped root (host uid 100000) can not even look up the bundle path when the host's
        # "/" is not searchable by others (some VM images ship it 0700): runc fails the same way.
        log("note: user namespace check skipped: host / is mode %o" % (os.stat("/").st_mode & 0o777))
        return sh("true"), None, lambda run: Result(True, "skipped: host / not searchable")
    return sh("cat /proc/self/uid_map /proc/self/gid_map; echo $(id -u) $(id -g)"), None, verify


def parse_mountinfo(text):
    mounts = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10 or "-" not in f:
            continue
        sep = f.index("-")
        mounts[f[4]] = {"root": f[3], "opts": f[5].split(","), "fstype": f[sep + 1],
                        "super": f[sep + 3].split(",") if len(f) > sep + 3 else []}
    return mounts


@check("mounts (mountinfo)")
def c_mounts(spec, bundle):
    hostdir = os.path.join(bundle, "hostdir")
    os.makedirs(hostdir)
    with open(os.path.join(hostdir, "marker"), "w") as f:
        f.write("from-host\n")
    os.makedirs(os.path.join(bundle, "rootfs", "mnt", "bind"), exist_ok=True)
    for m in spec["mounts"]:
        if m["destination"] == "/proc":
            m["options"] = ["nosuid", "noexec", "nodev"]
    spec["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                           "options": ["nosuid", "nodev", "mode=1777", "size=65536k"]})
    spec["mounts"].append({"destination": "/mnt/bind", "type": "bind", "source": hostdir,
                           "options": ["rbind", "ro"]})

    def verify(run):
        parts = run.out.split("=====\n")
        m = parse_mountinfo(parts[0])
        errs = []

        def need(mp, fstype=None, opts=(), sopts=()):
            if mp not in m:
                errs.append("%s missing" % mp)
                return
            if fstype and m[mp]["fstype"] != fstype:
                errs.append("%s fstype %s" % (mp, m[mp]["fstype"]))
            for o in opts:
                if o not in m[mp]["opts"]:
                    errs.append("%s lacks %s (%s)" % (mp, o, m[mp]["opts"]))
            for o in sopts:
                if o not in m[mp]["super"]:
                    errs.append("%s lacks super option %s (%s)" % (mp, o, m[mp]["super"]))
        need("/", opts=["ro"])
        need("/proc", "proc", ["nosuid", "nodev", "noexec"])
        need("/sys", "sysfs", ["ro", "nosuid", "nodev", "noexec"])
        need("/dev", "tmpfs", ["nosuid"])
        need("/dev/pts", "devpts", ["nosuid", "noexec"])
        need("/dev/shm", "tmpfs", ["nosuid", "nodev", "noexec"])
        need("/dev/mqueue", "mqueue", ["nosuid", "nodev", "noexec"])
        need("/tmp", "tmpfs", ["nosuid", "nodev", "rw"], ["size=65536k"])
        need("/mnt/bind", None, ["ro"])
        tail = parts[1].split() if len(parts) > 1 else []
        if tail != ["from-host", "1777", "rofail"]:
            errs.append("bind content/tmp mode/ro write: %s" % tail)
        return expect(run, run.rc == 0 and not errs, "; ".join(errs))
    script = ("cat /proc/self/mountinfo; echo =====; cat /mnt/bind/marker; stat -c %a /tmp; "
              "touch /mnt/bind/x 2>/dev/null && echo rowrite || echo rofail")
    return sh(script), None, verify


@check("hostname")
def c_hostname(spec, bundle):
    spec["hostname"] = "see-host"

    def verify(run):
        return expect(run, run.rc == 0 and run.out.split() == ["see-host"], "hostname")
    return sh("hostname"), None, verify


@check("loopback up in a new network namespace")
def c_loopback(spec, bundle):
    if not any(ns.get("type") == "network" and not ns.get("path")
               for ns in spec["linux"]["namespaces"]):
        spec["linux"]["namespaces"].append({"type": "network"})

    def verify(run):
        flags = run.out.strip()
        return expect(run, run.rc == 0 and flags.startswith("0x") and int(flags, 16) & 1,
                      "lo has IFF_UP (runc brings loopback up in a namespace it creates)")
    return sh("cat /sys/class/net/lo/flags"), None, verify


# runc 1.1 predates the domainname field (OCI 1.0.2+, runc 1.2): the reference is exempt.
REF_EXEMPT = {"domainname": "runc 1.1 ignores linux domainname (added in runc 1.2)"}
# Differences of the sentry sandbox by design (docs/security-model.md), checked under the plain
# path (runsee --sandbox=none) instead. A runtime is "sandboxed" when its flags do not say none.
SANDBOX_EXEMPT = {
    "seccomp: ERRNO default + allowlist":
        "sentry-lite's filter is installed after the OCI profile; a profile that refuses seccomp(2) "
        "(or capget) makes create fail with a clear error",
}


@check("domainname")
def c_domainname(spec, bundle):
    spec["hostname"] = "see-host"
    spec["domainname"] = "see.domain"

    def verify(run):
        return expect(run, run.rc == 0 and run.out.split() == ["see.domain"], "domainname")
    return sh("cat /proc/sys/kernel/domainname"), None, verify


@check("rlimits")
def c_rlimits(spec, bundle):
    spec["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 2345},
                                  {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
                                  {"type": "RLIMIT_MSGQUEUE", "soft": 8192, "hard": 16384}]

    def verify(run):
        got = {}
        for line in run.out.splitlines():
            for key in ("Max open files", "Max core file size", "Max msgqueue size"):
                if line.startswith(key):
                    got[key] = line[len(key):].split()[:2]
        want = {"Max open files": ["1234", "2345"], "Max core file size": ["0", "4096"],
                "Max msgqueue size": ["8192", "16384"]}
        return expect(run, run.rc == 0 and got == want, "want %s got %s" % (want, got))
    return sh("cat /proc/self/limits"), None, verify


@check("readonly paths (EROFS)")
def c_ropaths(spec, bundle):
    spec["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                           "options": ["nosuid", "nodev"]})
    os.makedirs(os.path.join(bundle, "rootfs", "data"), exist_ok=True)
    spec["linux"]["readonlyPaths"] = spec["linux"].get("readonlyPaths", []) + ["/data"]

    def verify(run):
        errs = run.err
        ok = run.rc == 0 and run.out.split() == ["fail1", "fail2"] and errs.count("Read-only file system") >= 2
        return expect(run, ok, "writes to readonly paths must fail with EROFS")
    return sh("echo x > /proc/sys/kernel/hostname && echo ok1 || echo fail1; "
              "touch /data/f && echo ok2 || echo fail2"), None, verify


@check("masked paths")
def c_masked(spec, bundle):
    if not os.listdir("/sys/firmware"):
        raise RuntimeError("host /sys/firmware is empty: masked-dir check would prove nothing")
    # /proc/kcore does not exist on every kernel (not on this CI's); /proc/timer_list always has content.
    files = [f for f in ("/proc/kcore", "/proc/timer_list") if os.path.exists(f)]
    spec["linux"]["maskedPaths"] = spec["linux"].get("maskedPaths", []) + ["/etc/see-masked"]
    os.makedirs(os.path.join(bundle, "rootfs", "etc", "see-masked"))
    with open(os.path.join(bundle, "rootfs", "etc", "see-masked", "secret"), "w") as f:
        f.write("secret\n")

    def verify(run):
        ok = run.rc == 0 and run.out.split() == ["0"] * (len(files) + 2)
        return expect(run, ok, "%s bytes, /sys/firmware and /etc/see-masked entries must all be 0" % files)
    return sh("for f in %s; do wc -c < $f; done; ls -A /sys/firmware | wc -l; ls -A /etc/see-masked | wc -l"
              % " ".join(files)), None, verify


@check("sysctl (netns)")
def c_sysctl(spec, bundle):
    spec["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"}

    def verify(run):
        return expect(run, run.rc == 0 and run.out.split() == ["1", "12345"], "sysctl values")
    return sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax"), None, verify


@check("cwd and env")
def c_cwd_env(spec, bundle):
    spec["process"]["cwd"] = "/etc"
    spec["process"]["env"].append("SEE_VAR=hello world")

    def verify(run):
        return expect(run, run.rc == 0 and run.out.splitlines() == ["/etc", "hello world", "1"],
                      "cwd/env/pid")
    return sh('pwd; echo "$SEE_VAR"; echo $$'), None, verify


@check("devices")
def c_devices(spec, bundle):
    spec["linux"]["devices"] = [{"path": "/dev/see-null", "type": "c", "major": 1, "minor": 3,
                                 "fileMode": 0o620, "uid": 0, "gid": 0},
                                {"path": "/dev/see-mem", "type": "c", "major": 1, "minor": 1,
                                 "fileMode": 0o600, "uid": 0, "gid": 0}]
    spec["linux"]["resources"]["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}]

    def verify(run):
        return expect(run, run.rc == 0 and run.out.split() == ["1", "3", "620", "wrote", "denied"],
                      "device node 1:3 mode 620 writable; 1:1 (not allowed) denied by the device cgroup")
    return sh("stat -c '%t %T %a' /dev/see-null; echo x > /dev/see-null && echo wrote; "
              "head -c1 /dev/see-mem >/dev/null 2>&1 && echo allowed || echo denied"), None, verify


@check("memory limit: OOM kill (137)")
def c_oom(spec, bundle):
    spec["linux"]["resources"]["memory"] = {"limit": 32 * 1024 * 1024, "swap": 32 * 1024 * 1024}

    def verify(run):
        return expect(run, run.rc == 137, "memory hog must be SIGKILLed (137)")
    return ["/usr/bin/tail", "/dev/zero"], None, verify


@check("pids limit")
def c_pids(spec, bundle):
    spec["linux"]["resources"]["pids"] = {"limit": 6}

    def verify(run):
        ok = "Resource temporarily unavailable" in run.err
        return expect(run, ok, "forks beyond pids.max=6 must fail")
    return sh("for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; echo done"), None, verify


@check("seccomp: mkdir -> EPERM")
def c_seccomp_deny(spec, bundle):
    spec["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]})
    spec["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                              "errnoRet": 1}]}

    def verify(run):
        ok = run.rc == 0 and run.out.split() == ["denied", "touched"] and "Operation not permitted" in run.err
        return expect(run, ok, "mkdir must fail with EPERM, touch must work")
    return sh("mkdir /tmp/d && echo made || echo denied; touch /tmp/f && echo touched"), None, verify


ALLOW = """read write readv writev pread64 pwrite64 open openat close fstat newfstatat stat lstat statx
lseek mmap munmap mprotect brk madvise mremap rt_sigaction rt_sigprocmask rt_sigreturn sigaltstack
ioctl access faccessat faccessat2 pipe pipe2 dup dup2 dup3 fcntl getdents64 getcwd chdir fchdir
execve execveat exit exit_group wait4 waitid clone clone3 fork vfork kill tgkill tkill getpid gettid
getppid getuid geteuid getgid getegid getgroups getresuid getresgid setuid setgid setgroups setresuid
setresgid capget capset prctl arch_prctl set_tid_address set_robust_list get_robust_list rseq futex
nanosleep clock_nanosleep clock_gettime gettimeofday sched_yield sched_getaffinity getrandom uname
prlimit64 getrlimit setrlimit umask epoll_create1 epoll_ctl epoll_pwait epoll_wait select pselect6
poll ppoll close_range readlink readlinkat sysinfo times getpgrp setpgid getpgid getsid setsid
fchown fchmod membarrier restart_syscall mlock munlock keyctl socket connect sendto recvfrom
fstatfs statfs mincore sched_getparam sched_setaffinity getdents chmod fchmodat fchownat unlinkat""".split()
ALLOW = [n for n in ALLOW if n not in ("mkdir", "mkdirat")]


@check("seccomp: ERRNO default + allowlist")
def c_seccomp_allowlist(spec, bundle):
    spec["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]})
    spec["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                                "syscalls": [{"names": ALLOW, "action": "SCMP_ACT_ALLOW"}]}

    def verify(run):
        ok = run.rc == 0 and run.out.split() == ["allowed", "denied"] and "Operation not permitted" in run.err
        return expect(run, ok, "allowlisted echo must work, mkdir (not listed) must fail with EPERM")
    return sh("echo allowed; mkdir /tmp/d && echo made || echo denied"), None, verify


@check("hooks")
def c_hooks(spec, bundle):
    out = os.path.join(bundle, "hooks")
    os.makedirs(out)
    os.makedirs(os.path.join(bundle, "rootfs", "hooks"), exist_ok=True)
    spec["mounts"].append({"destination": "/hooks", "type": "bind", "source": out, "options": ["rbind", "rw"]})

    def host_hook(name):
        return {"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s.json" % (out, name)],
                "env": ["PATH=/usr/bin:/bin"], "timeout": 20}

    def ctr_hook(name):
        # runc 1.1 runs createContainer before pivot_root (host paths); the OCI spec says after.
        # Either view is accepted: write into the container path, else the host path.
        return {"path": "/bin/sh", "args": ["sh", "-c", "cat > /hooks/%s.json 2>/dev/null || cat > %s/%s.json"
                                            % (name, out, name)]}
    spec["hooks"] = {"prestart": [host_hook("prestart")], "createRuntime": [host_hook("createRuntime")],
                     "createContainer": [ctr_hook("createContainer")],
                     "startContainer": [ctr_hook("startContainer")],
                     "poststart": [host_hook("poststart")], "poststop": [host_hook("poststop")]}
    cid = os.path.basename(bundle)

    def verify(run):
        errs = []
        for h in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"):
            try:
                with open(os.path.join(out, h + ".json")) as f:
                    st = json.load(f)
                if st.get("id") != cid:
                    errs.append("%s: id %r" % (h, st.get("id")))
                if h != "poststop" and not st.get("pid"):
                    errs.append("%s: no pid in state" % h)
            except (OSError, ValueError) as e:
                errs.append("%s: %s" % (h, e))
        return expect(run, run.rc == 0 and run.out.strip() == "main" and not errs, "; ".join(errs))
    return sh("echo main"), None, verify


@check("stdio passthrough")
def c_stdio(spec, bundle):
    def verify(run):
        ok = run.rc == 0 and run.out == "got:input-line\n" and "to-stderr" in run.err
        return expect(run, ok, "stdin to stdout, stderr separate")
    return sh("read l; echo got:$l; echo to-stderr >&2"), "input-line\n", verify


@check("exit code propagation")
def c_exit(spec, bundle):
    def verify(run):
        return expect(run, run.rc == 7, "want rc 7")
    return sh("exit 7"), None, verify


@check("namespaces (pid 1, own uts/ipc/net/mnt)")
def c_ns(spec, bundle):
    host = {n: os.readlink("/proc/self/ns/" + n) for n in ("pid", "uts", "ipc", "net", "mnt")}

    def verify(run):
        lines = run.out.split()
        got = dict(zip(("pid", "uts", "ipc", "net", "mnt"), lines[1:]))
        same = [n for n in host if got.get(n) == host[n]]
        return expect(run, run.rc == 0 and lines[:1] == ["1"] and len(got) == 5 and not same,
                      "pid must be 1 and namespaces differ from the host's (same: %s)" % same)
    return sh("echo $$; for n in pid uts ipc net mnt; do readlink /proc/self/ns/$n; done"), None, verify


def run_lifecycle(env, rt):
    """create/state/start/exec/pause/resume/update/ps/kill/delete through the CLI verbs."""
    cid, bundle, spec = env.new_bundle("life")
    spec["process"]["args"] = sh("while :; do sleep 0.1; done")
    write_spec(bundle, spec)
    root = env.root_of(rt.name)
    errs = []

    def cli(*args, check_rc=True):
        p = subprocess.run(rt.cmd(root, *args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if check_rc and p.returncode != 0:
            errs.append("%s: rc %d %s" % (" ".join(args), p.returncode, p.stderr.decode(errors="replace")[-300:]))
        return p.stdout.decode(errors="replace")

    def status():
        try:
            return json.loads(cli("state", cid)).get("status")
        except ValueError:
            return None
    cg = "%s/%s" % (env.cg_parent, cid)
    try:
        with open(os.path.join(bundle, "out"), "w") as out:
            p = subprocess.run(rt.cmd(root, "create", "--bundle", bundle, cid),
                               stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=30)
        if p.returncode != 0:
            with open(os.path.join(bundle, "out")) as f:
                return Result(False, "create rc %d: %s" % (p.returncode, f.read()[-400:]))
        if status() != "created":
            errs.append("after create: %s" % status())
        cli("start", cid)
        if status() != "running":
            errs.append("after start: %s" % status())
        p = subprocess.run(rt.cmd(root, "exec", cid, "/bin/sh", "-c", "echo exec-ok; exit 4"),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if p.returncode != 4 or p.stdout.decode(errors="replace") != "exec-ok\n":
            errs.append("exec: rc %d out %r err %r" % (p.returncode, p.stdout[-200:], p.stderr[-200:]))
        cli("pause", cid)
        if status() != "paused":
            errs.append("after pause: %s" % status())
        try:
            with open("/sys/fs/cgroup/freezer/%s/freezer.state" % cg) as f:
                fs = f.read().strip()
        except OSError as e:
            fs = str(e)
        if fs != "FROZEN":
            errs.append("freezer.state %s" % fs)
        cli("resume", cid)
        if status() != "running":
            errs.append("after resume: %s" % status())
        cli("update", "--memory", "67108864", cid)
        try:
            with open("/sys/fs/cgroup/memory/%s/memory.limit_in_bytes" % cg) as f:
                lim = f.read().strip()
        except OSError as e:
            lim = str(e)
        if lim != "67108864":
            errs.append("update --memory: memory.limit_in_bytes %s" % lim)
        ps = cli("ps", "--format", "json", cid)
        try:
            if not json.loads(ps):
                errs.append("ps: empty")
        except ValueError:
            errs.append("ps --format json: %r" % ps[:200])
        cli("kill", cid, "KILL")
        for _ in range(100):
            if status() == "stopped":
                break
            time.sleep(0.05)
        else:
            errs.append("after kill: %s" % status())
        cli("delete", cid)
        if os.path.exists(os.path.join(root, cid)):
            errs.append("state dir %s left" % os.path.join(root, cid))
        p = subprocess.run(rt.cmd(root, "state", cid), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if p.returncode == 0:
            errs.append("state after delete succeeded")
        if cgroup_dirs(cg):
            errs.append("cgroups left: %s" % cgroup_dirs(cg))
    finally:
        env.cleanup_bundle(rt, cid, bundle)
    return Result(not errs, "; ".join(errs))


def suite_features(env, runtimes, only):
    names = [n for n, _ in CHECKS] + ["lifecycle verbs (create..delete)"]
    if only:
        names = [n for n in names if any(o in n for o in only)]
    results = {}
    t0 = time.monotonic()
    for name in names:
        for rt in runtimes:
            if time.monotonic() - t0 > DEADLINE_S:
                res = Result(False, "not run: suite deadline of %.0f s passed" % DEADLINE_S)
            elif name.startswith("lifecycle"):
                try:
                    res = run_lifecycle(env, rt)
                except Exception as e:  # a hung/failed verb must not stop the table
                    res = Result(False, "exception: %s" % e)
            else:
                fn = dict(CHECKS)[name]
                cid, bundle, spec = env.new_bundle(rt.name)
                try:
                    args, stdin_data, verify = fn(spec, bundle)
                    spec["process"]["args"] = args
                    write_spec(bundle, spec)
                    run = run_bundle(env, rt, cid, bundle, stdin_data)
                    res = verify(run)
                except Exception as e:
                    res = Result(False, "exception: %r" % e)
                finally:
                    env.cleanup_bundle(rt, cid, bundle)
            results[(name, rt.name)] = res
            log("%-4s %-8s %s%s" % ("ok" if res.ok else "FAIL", rt.name, name,
                                     "" if res.ok else "\n       " + res.detail))
    ref = runtimes[0]
    width = max(len(n) for n in names)
    print("\n%-*s  %s" % (width, "feature", "  ".join("%-7s" % r.name for r in runtimes)))
    failures = []
    for name in names:
        cells = []
        for rt in runtimes:
            cells.append("%-7s" % ("pass" if results[(name, rt.name)].ok else "FAIL"))
        print("%-*s  %s" % (width, name, "  ".join(cells)))
        if not results[(name, ref.name)].ok and name in REF_EXEMPT:
            log("note: %s: reference %s exempt: %s" % (name, ref.name, REF_EXEMPT[name]))
            for rt in runtimes[1:]:
                if not results[(name, rt.name)].ok:
                    failures.append("%s: %s fails: %s" % (name, rt.name, results[(name, rt.name)].detail))
            continue
        if not results[(name, ref.name)].ok:
            failures.append("%s: reference %s fails (broken check): %s" % (name, ref.name,
                                                                           results[(name, ref.name)].detail))
        for rt in runtimes[1:]:
            if (name in SANDBOX_EXEMPT and "--sandbox=none" not in rt.flags
                    and os.path.basename(rt.path) == "runsee"):
                if not results[(name, rt.name)].ok:
                    log("note: %s: %s exempt: %s" % (name, rt.name, SANDBOX_EXEMPT[name]))
                continue
            if results[(name, ref.name)].ok and not results[(name, rt.name)].ok:
                failures.append("%s: %s fails where %s passes: %s" % (name, rt.name, ref.name,
                                                                      results[(name, rt.name)].detail))
    return failures


# --------------------------------------------------------------------------------------------
# Bad input

def bad_cases():
    def drop_args(s):
        del s["process"]["args"]

    def ns(s):
        s["linux"]["namespaces"].append({"type": "bogus"})

    def reldest(s):
        s["mounts"].append({"destination": "relative/path", "type": "tmpfs", "source": "tmpfs"})

    def rlimit(s):
        s["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]

    def oom(s):
        s["process"]["oomScoreAdj"] = 5000

    def cap(s):
        s["process"]["capabilities"]["bounding"].append("CAP_BOGUS")

    def relcwd(s):
        s["process"]["cwd"] = "relative"

    def noversion(s):
        del s["ociVersion"]

    def seccomp(s):
        s["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_BOGUS"}

    def noroot(s):
        s["root"]["path"] = "/nonexistent/see-rootfs"

    def mapping(s):
        s["linux"]["namespaces"].append({"type": "user"})
        s["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000}]
    return [
        ("bad JSON", "{ this is not json", ["json", "parse", "syntax", "config.json"]),
        ("process.args missing", drop_args, ["args"]),
        ("unknown namespace type", ns, ["bogus", "namespace"]),
        ("relative mount destination", reldest, ["relative/path", "destination"]),
        ("bad rlimit name", rlimit, ["rlimit_bogus", "rlimit"]),
        ("oomScoreAdj out of range", oom, ["oomscoreadj", "5000"]),
        ("unknown capability", cap, ["cap_bogus"]),
        ("relative cwd", relcwd, ["cwd"]),
        ("ociVersion missing", noversion, ["ociversion"]),
        ("unknown seccomp action", seccomp, ["scmp_act_bogus", "defaultaction"]),
        ("root.path missing on disk", noroot, ["/nonexistent/see-rootfs", "root"]),
        ("uid mapping without size", mapping, ["size", "uidmappings", "mapping"]),
    ]


def suite_badinput(env, runtimes):
    failures = []
    for rt in runtimes:
        root = env.root_of(rt.name)
        for name, mutate, tokens in bad_cases():
            cid, bundle, spec = env.new_bundle("bad")
            spec["process"]["args"] = ["/bin/true"]
            if isinstance(mutate, str):
                with open(os.path.join(bundle, "config.json"), "w") as f:
                    f.write(mutate)
            else:
                mutate(spec)
                write_spec(bundle, spec)
            mounts_before = [m for m in mount_points() if cid in m or m.startswith(env.tmp + "/")]
            try:
                run = run_bundle(env, rt, cid, bundle)
                errs = []
                if run.rc == 0 or run.rc == "timeout":
                    errs.append("accepted (rc %s)" % run.rc)
                text = (run.err + run.log).lower()
                if not any(t in text for t in tokens):
                    errs.append("error does not name the field (%s): stderr=%r log=%r" %
                                ("/".join(tokens), run.err[-300:], run.log[-300:]))
                if mount_points(bundle):
                    errs.append("mounts left: %s" % mount_points(bundle))
                ours = [m for m in mount_points() if cid in m or m.startswith(env.tmp + "/")]
                if ours != mounts_before:
                    errs.append("mounts changed: %s" % sorted(set(ours) ^ set(mounts_before)))
                if cgroup_dirs("%s/%s" % (env.cg_parent, cid)):
                    errs.append("cgroups left: %s" % cgroup_dirs("%s/%s" % (env.cg_parent, cid)))
                if os.path.exists(os.path.join(root, cid)):
                    errs.append("state dir left: %s" % os.path.join(root, cid))
                procs = pids_with_cmdline(cid) + pids_with_cmdline(bundle)
                if procs:
                    errs.append("processes left: %s" % procs)
            finally:
                env.cleanup_bundle(rt, cid, bundle)
            log("%-4s %-8s bad input: %s%s" % ("FAIL" if errs else "ok", rt.name, name,
                                               ("\n       " + "; ".join(errs)) if errs else ""))
            failures += ["%s %s: %s" % (rt.name, name, "; ".join(errs))] if errs else []
    return failures


# --------------------------------------------------------------------------------------------
# Cycles

def snapshot(env, rt):
    root = env.root_of(rt.name)
    return {
        # Only mounts that can be ours: other people's tests mount and unmount on this host too.
        "mounts": sorted(m for m in mount_points() if m.startswith(env.tmp + "/") or "see-cyc-" in m),
        "cgroups": [d for d in cgroup_dirs(env.cg_parent) if not d.endswith("/" + env.cg_parent)],
        "children": child_pids(),
        "runtime processes": pids_with_cmdline(env.tmp),
        "driver fds": sorted(os.listdir("/proc/self/fd")),
        "state dirs": sorted(os.listdir(root)),
    }


def suite_cycles(env, runtimes, n):
    failures = []
    for rt in runtimes:
        root = env.root_of(rt.name)
        cid, bundle, spec = env.new_bundle("cyc")
        spec["process"]["args"] = ["/bin/true"]
        write_spec(bundle, spec)
        errf = tempfile.TemporaryFile(dir=env.tmp)
        before = snapshot(env, rt)
        errs = []
        t0 = time.monotonic()
        for i in range(n):
            def cli(*args):
                # The container inherits create's stdio: a pipe there would block until it exits.
                quiet = args[0] != "state"
                p = subprocess.run(rt.cmd(root, *args), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
                                   stderr=errf, timeout=30)
                if p.returncode != 0:
                    errf.seek(0)
                    raise RuntimeError("cycle %d: %s rc %d: %s" % (i, " ".join(args), p.returncode,
                                                                    errf.read().decode(errors="replace")[-300:]))
                errf.seek(0)
                errf.truncate()
                return p.stdout.decode(errors="replace") if p.stdout else ""
            try:
                cli("create", "--bundle", bundle, cid)
                cli("start", cid)
                for _ in range(400):
                    if json.loads(cli("state", cid)).get("status") == "stopped":
                        break
                    time.sleep(0.005)
                else:
                    raise RuntimeError("cycle %d: container never stopped" % i)
                cli("delete", cid)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                errs.append(str(e))
                break
        elapsed = time.monotonic() - t0
        env.cleanup_bundle(rt, cid, bundle) if errs else None
        after = snapshot(env, rt)
        errf.close()
        for k in before:
            if before[k] != after[k]:
                extra = sorted(set(after[k]) - set(before[k]))
                gone = sorted(set(before[k]) - set(after[k]))
                errs.append("%s differ: new %s gone %s" % (k, extra[:10], gone[:10]))
        if not errs:
            env.cleanup_bundle(rt, cid, bundle)
        log("%-4s %-8s %d cycles create+start+wait+delete (%.1f s)%s" % (
            "FAIL" if errs else "ok", rt.name, n, elapsed, ("\n       " + "\n       ".join(errs)) if errs else ""))
        failures += ["%s cycles: %s" % (rt.name, e) for e in errs]
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suite", choices=["features", "badinput", "cycles"])
    ap.add_argument("--runtime", action="append", required=True,
                    help="NAME=PATH; the first is the reference (features)")
    ap.add_argument("--only", default="", help="comma-separated substrings of feature names")
    ap.add_argument("--cycles", type=int, default=200)
    a = ap.parse_args()
    if os.geteuid() != 0:
        log("conformance: must run as root")
        return 1
    runtimes = [Runtime(r) for r in a.runtime]
    for rt in runtimes:
        if not (os.access(rt.path, os.X_OK) and os.path.isfile(rt.path)):
            log("conformance: runtime %s binary %s missing or not executable" % (rt.name, rt.path))
            return 1
    env = Env()
    try:
        if a.suite == "features":
            failures = suite_features(env, runtimes, [o for o in a.only.split(",") if o])
        elif a.suite == "badinput":
            failures = suite_badinput(env, runtimes)
        else:
            failures = suite_cycles(env, runtimes, a.cycles)
    finally:
        env.close()
    if failures:
        print("\nFAILED (%d):" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    print("\nconformance %s: all passed" % a.suite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
