#!/usr/bin/env python3
"""Checks manifests/ and helm/see/ without a cluster or a helm binary.

Every YAML document parses; the RuntimeClass, installer DaemonSets and examples carry the fields
see depends on; the Helm chart's Chart.yaml and values.yaml parse and its templates, rendered
here with the values by a small renderer of the Go-template subset the chart uses (.Values,
.Release, .Chart, include, if/end, and the pipe functions quote, nindent, toYaml, toJson,
sha256sum, printf), parse as YAML and carry the same fields. A template construct the renderer
does not know fails the check instead of passing silently.

    e2e/node/manifests_check.py [REPO_ROOT]
"""
import hashlib
import json
import os
import re
import sys

import yaml

FAILURES = []
PASSES = 0


def check(name, cond, detail=""):
    global PASSES
    if cond:
        PASSES += 1
        print(f"ok:   {name}", file=sys.stderr)
    else:
        FAILURES.append(f"{name} {detail}".strip())
        print(f"FAIL: {name} {detail}", file=sys.stderr)


def get(obj, path, default=None):
    """get(obj, "a.b.0.c"): nested lookup; default when any step is missing."""
    for part in path.split("."):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return default
    return obj


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


# ---- checks shared by the plain manifests and the rendered chart ----

def check_runtimeclass(where, rc, handler="see", name="see"):
    check(f"{where}: RuntimeClass apiVersion", rc.get("apiVersion") == "node.k8s.io/v1")
    check(f"{where}: RuntimeClass name", get(rc, "metadata.name") == name)
    check(f"{where}: RuntimeClass handler", rc.get("handler") == handler)
    for res in ("memory", "cpu"):
        v = get(rc, f"overhead.podFixed.{res}")
        check(f"{where}: overhead.podFixed.{res} set", isinstance(v, str) and re.fullmatch(r"\d+(Mi|Ki|Gi|m)?", v),
              repr(v))
    check(f"{where}: scheduling.nodeSelector see.dev/runtime=true",
          get(rc, "scheduling.nodeSelector") == {"see.dev/runtime": "true"})


def check_installer_ds(where, ds, action):
    spec = get(ds, "spec.template.spec", {})
    check(f"{where}: DaemonSet apps/v1", ds.get("apiVersion") == "apps/v1")
    check(f"{where}: selector matches the template labels",
          get(ds, "spec.selector.matchLabels", {}).items() <= get(ds, "spec.template.metadata.labels", {}).items())
    check(f"{where}: hostPID (nsenter to restart containerd)", spec.get("hostPID") is True)
    check(f"{where}: tolerates every taint", {"operator": "Exists"} in spec.get("tolerations", []))
    inits = spec.get("initContainers", [])
    check(f"{where}: one init container", len(inits) == 1)
    if not inits:
        return
    c = inits[0]
    check(f"{where}: runs install.sh {action}", c.get("command") == ["/opt/see/install.sh", action], repr(c.get("command")))
    check(f"{where}: privileged", get(c, "securityContext.privileged") is True)
    env = env_of(c)
    check(f"{where}: SEE_HOST_ROOT=/host", get(env, "SEE_HOST_ROOT.value") == "/host")
    check(f"{where}: SEE_NODE_NAME from spec.nodeName",
          get(env, "SEE_NODE_NAME.valueFrom.fieldRef.fieldPath") == "spec.nodeName")
    check(f"{where}: SEE_CONTAINERD_CONFIG", bool(get(env, "SEE_CONTAINERD_CONFIG.value")))
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    check(f"{where}: host / mounted at /host", get(vols.get(mounts.get("/host"), {}), "hostPath.path") == "/")
    check(f"{where}: service account set", bool(spec.get("serviceAccountName")))


def check_rbac(where, docs):
    roles = by_kind(docs, "ClusterRole")
    check(f"{where}: ClusterRole may patch nodes",
          any("nodes" in r.get("resources", []) and "patch" in r.get("verbs", [])
              for role in roles for r in role.get("rules", [])))
    check(f"{where}: ClusterRoleBinding", len(by_kind(docs, "ClusterRoleBinding")) == 1)
    check(f"{where}: ServiceAccount", len(by_kind(docs, "ServiceAccount")) == 1)


def pod_spec(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        return doc.get("spec", {}), get(doc, "metadata.annotations", {}) or {}
    if kind in ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"):
        return get(doc, "spec.template.spec", {}), get(doc, "spec.template.metadata.annotations", {}) or {}
    return None, None


# ---- plain manifests ----

def check_manifests(root):
    m = os.path.join(root, "manifests")
    rcs = by_kind(load_all(os.path.join(m, "runtimeclass.yaml")), "RuntimeClass")
    check("manifests: one RuntimeClass", len(rcs) == 1)
    if rcs:
        check_runtimeclass("manifests/runtimeclass.yaml", rcs[0])

    docs = load_all(os.path.join(m, "installer", "daemonset.yaml"))
    ds = by_kind(docs, "DaemonSet")
    check("installer: one DaemonSet", len(ds) == 1)
    if ds:
        check_installer_ds("installer/daemonset.yaml", ds[0], "install")
    check_rbac("installer/daemonset.yaml", docs)
    cms = by_kind(docs, "ConfigMap")
    check("installer: shim config parses", cms and isinstance(yaml.safe_load((cms[0].get("data") or {}).get("shim.yaml", "")), dict))
    ds = by_kind(load_all(os.path.join(m, "installer", "uninstall.yaml")), "DaemonSet")
    check("uninstall: one DaemonSet", len(ds) == 1)
    if ds:
        check_installer_ds("installer/uninstall.yaml", ds[0], "uninstall")
        check("uninstall: only on labelled nodes",
              get(ds[0], "spec.template.spec.nodeSelector") == {"see.dev/runtime": "true"})

    ex = os.path.join(m, "examples")
    kinds = {}
    for name in sorted(os.listdir(ex)):
        if not name.endswith(".yaml"):
            continue
        for doc in load_all(os.path.join(ex, name)):
            spec, annotations = pod_spec(doc)
            kinds.setdefault(doc.get("kind"), []).append(name)
            if spec is None:
                continue
            check(f"examples/{name}: {doc['kind']} runs under see", spec.get("runtimeClassName") == "see")
            for c in spec.get("containers", []):
                check(f"examples/{name}: {c.get('name')} has a memory limit",
                      bool(get(c, "resources.limits.memory")))
            if "see.dev/egress" in annotations:
                check(f"examples/{name}: egress annotation is a string",
                      isinstance(annotations["see.dev/egress"], str))
    check("examples: a batch Job", "Job" in kinds)
    check("examples: a long-running Deployment", "Deployment" in kinds)
    job = [d for n in kinds.get("Job", []) for d in load_all(os.path.join(ex, n)) if d.get("kind") == "Job"]
    if job:
        spec, _ = pod_spec(job[0])
        check("udf job: a hostPath stage volume", any("hostPath" in v for v in spec.get("volumes", [])))
        check("udf job: pandas image", "pandas" in spec["containers"][0].get("image", ""))
    egress = [n for n in os.listdir(ex) if n.endswith(".yaml") and any(
        "see.dev/egress" in (pod_spec(d)[1] or {}) for d in load_all(os.path.join(ex, n)))]
    check("examples: an egress-policy example", bool(egress))


# ---- Helm chart ----

class Renderer:
    """Renders the Go-template subset the chart uses; raises on anything else."""

    TOKEN = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)

    def __init__(self, context, defines):
        self.context = context
        self.defines = defines

    def value(self, expr):
        expr = expr.strip()
        if expr.startswith('"') and expr.endswith('"'):
            return json.loads(expr)
        if re.fullmatch(r"-?\d+", expr):
            return int(expr)
        if expr == ".":
            return self.context
        if expr.startswith("."):
            v = self.context
            for part in expr[1:].split("."):
                if not isinstance(v, dict) or part not in v:
                    raise KeyError(f"no value {expr}")
                v = v[part]
            return v
        if expr.startswith("(") and expr.endswith(")"):
            return self.pipeline(expr[1:-1])
        raise ValueError(f"unsupported operand {expr!r}")

    @staticmethod
    def to_yaml(v):
        return yaml.safe_dump(v, default_flow_style=False, sort_keys=True).rstrip("\n")

    def call(self, words, piped=None):
        fn, args = words[0], [self.value(w) for w in words[1:]]
        if piped is not None:
            args.append(piped)
        if fn == "quote":
            return json.dumps(str(args[0]))
        if fn == "nindent":
            return "\n" + "\n".join(" " * args[0] + line for line in str(args[1]).split("\n"))
        if fn == "toYaml":
            return self.to_yaml(args[0])
        if fn == "toJson":
            return json.dumps(args[0], separators=(",", ":"))
        if fn == "sha256sum":
            return hashlib.sha256(str(args[0]).encode()).hexdigest()
        if fn == "printf":
            return args[0].replace("%s", "{}").format(*args[1:])
        if fn == "include":
            return Renderer(args[1], self.defines).render(self.defines[args[0]]).strip("\n")
        if len(words) == 1 and piped is None:
            return self.value(fn)
        raise ValueError(f"unsupported function {fn!r}")

    def pipeline(self, expr):
        stages = [s.strip() for s in re.split(r"\|(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", expr)]
        result = None
        for i, stage in enumerate(stages):
            words = re.findall(r'"[^"]*"|\([^)]*\)|\S+', stage)
            result = self.call(words, None if i == 0 else result)
        return result

    def render(self, text):
        out, stack, pos = [], [True], 0
        tokens = list(self.TOKEN.finditer(text))
        for m in tokens:
            literal = text[pos:m.start()]
            if m.group(1):
                literal = literal.rstrip()
            if all(stack):
                out.append(literal)
            pos = m.end()
            if m.group(3):
                rest = text[pos:]
                pos += len(rest) - len(rest.lstrip())
            action = m.group(2)
            if action.startswith("/*"):
                continue
            if action.startswith("define "):
                raise ValueError("define inside a rendered template")
            if action.startswith("if "):
                stack.append(bool(self.pipeline(action[3:])) if all(stack) else False)
            elif action == "end":
                stack.pop()
            elif all(stack):
                v = self.pipeline(action)
                out.append("" if v is None else str(v))
        out.append(text[pos:])
        if len(stack) != 1:
            raise ValueError("unbalanced if/end")
        return "".join(out)


def parse_defines(text):
    return {m.group(1): m.group(2) for m in re.finditer(
        r'\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}(.*?)\{\{-?\s*end\s*-?\}\}', text, re.S)}


def render_chart(chart, values):
    with open(os.path.join(chart, "Chart.yaml")) as f:
        meta = yaml.safe_load(f)
    defines = {}
    tdir = os.path.join(chart, "templates")
    for name in sorted(os.listdir(tdir)):
        if name.endswith(".tpl"):
            with open(os.path.join(tdir, name)) as f:
                defines.update(parse_defines(f.read()))
    context = {
        "Values": values,
        "Release": {"Name": "see", "Namespace": "see-system", "Service": "Helm"},
        "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta.get("appVersion", "")},
    }
    rendered = {}
    for name in sorted(os.listdir(tdir)):
        if name.endswith(".yaml"):
            with open(os.path.join(tdir, name)) as f:
                rendered[name] = Renderer(context, defines).render(f.read())
    return meta, rendered


def check_chart(root):
    chart = os.path.join(root, "helm", "see")
    with open(os.path.join(chart, "Chart.yaml")) as f:
        meta = yaml.safe_load(f)
    check("chart: Chart.yaml apiVersion v2", meta.get("apiVersion") == "v2")
    check("chart: name see", meta.get("name") == "see")
    check("chart: semver version", re.fullmatch(r"\d+\.\d+\.\d+", str(meta.get("version", ""))) is not None)
    with open(os.path.join(chart, "values.yaml")) as f:
        values = yaml.safe_load(f)
    for key in ("image.repository", "image.tag", "handler", "runtimeClassName", "overhead.memory",
                "overhead.cpu", "nodeSelector", "config", "installer.action"):
        check(f"chart: values.{key}", get(values, key) is not None)
    check("chart: values.config is the shim's YAML (log_level)", "log_level" in (values.get("config") or {}))

    for variant, overrides in (("defaults", {}),
                               ("custom", {"handler": "see-x", "runtimeClassName": "see-x",
                                           "overhead": {"memory": "40Mi", "cpu": "20m"},
                                           "installer": dict(values["installer"], action="uninstall",
                                                             labelNode=False)})):
        v = dict(values, **overrides)
        try:
            _, rendered = render_chart(chart, v)
            docs = []
            for name, text in rendered.items():
                docs += [d for d in yaml.safe_load_all(text) if d is not None]
        except Exception as e:  # noqa: BLE001 - any render or parse error fails the check
            check(f"chart[{variant}]: renders and parses", False, repr(e))
            continue
        check(f"chart[{variant}]: renders and parses", True)
        rcs = by_kind(docs, "RuntimeClass")
        check(f"chart[{variant}]: one RuntimeClass", len(rcs) == 1)
        if rcs:
            check_runtimeclass(f"chart[{variant}]", rcs[0], handler=v["handler"], name=v["runtimeClassName"])
            check(f"chart[{variant}]: overhead from values",
                  get(rcs[0], "overhead.podFixed.memory") == v["overhead"]["memory"])
        ds = by_kind(docs, "DaemonSet")
        check(f"chart[{variant}]: one DaemonSet", len(ds) == 1)
        if ds:
            action = v["installer"]["action"]
            c = get(ds[0], "spec.template.spec.initContainers.0", {})
            env = env_of(c)
            check(f"chart[{variant}]: installer runs {action}", c.get("command") == ["/opt/see/install.sh", action])
            check(f"chart[{variant}]: handler passed", get(env, "SEE_HANDLER.value") == v["handler"])
            check(f"chart[{variant}]: node labelling follows values",
                  ("SEE_NODE_NAME" in env) == bool(v["installer"]["labelNode"]))
            check(f"chart[{variant}]: image from values",
                  c.get("image") == f"{v['image']['repository']}:{v['image']['tag']}")
            if v["installer"]["labelNode"]:
                check_installer_ds(f"chart[{variant}]", ds[0], action)
                check_rbac(f"chart[{variant}]", docs)
        cms = by_kind(docs, "ConfigMap")
        check(f"chart[{variant}]: shim config equals values.config",
              bool(cms) and yaml.safe_load((cms[0].get("data") or {}).get("shim.yaml", "")) == v["config"])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    check_manifests(root)
    check_chart(root)
    print(f"manifests_check: {PASSES} passed, {len(FAILURES)} failed", file=sys.stderr)
    for f in FAILURES:
        print(f"  FAIL: {f}", file=sys.stderr)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
