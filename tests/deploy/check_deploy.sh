#!/usr/bin/env bash
#
# check_deploy.sh - static checks of the deploy artefacts (no Docker, no
# cluster needed): Dockerfile, .dockerignore, docker-compose.yml,
# deploy/kubernetes/*.yaml, deploy/prometheus/*.yml and deploy/RUNBOOK.md.
#
#   tests/deploy/check_deploy.sh [REPO_ROOT]
#
# Every YAML file must parse; then the properties the design relies on are
# asserted (probe paths, non-root, read-only root filesystem, resources,
# consistent image names, configuration names from DESIGN.md section 5, the
# alert rules' metrics and runbook anchors). promtool and hadolint run when
# installed and are skipped (with a note) when not. The configuration names
# are also compared with the README's configuration table. The release
# binary's hardening is read back with readelf.
# Prints one line per check and every failure; exits 1 when anything failed,
# 0 otherwise.
#
# Needs python3 with PyYAML (Debian: python3-yaml).

set -u

ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
failed=0

if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "FAIL python3 with PyYAML is required (apt-get install python3-yaml)"
    exit 1
fi

python3 - "$ROOT" <<'PY' || failed=1
import os
import re
import sys

import yaml

root = sys.argv[1]
failures = []


def check(cond, what, detail=""):
    if cond:
        print(f"ok   {what}")
    else:
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))
        failures.append(what)
    return cond


def path(*parts):
    return os.path.join(root, *parts)


# The design's configuration names, plus SHOPVOX_LOG_FORMAT,
# SHOPVOX_SQL_DIR (where the image keeps the migrations) and the operational
# knobs added since (README's configuration table lists them all).
# Secrets are also accepted as NAME_FILE.
DESIGN_PLAIN = {
    "SHOPVOX_LISTEN", "SHOPVOX_WORKERS", "SHOPVOX_LOG_LEVEL", "SHOPLINE_SHOP_DOMAIN",
    "SHOPLINE_API_BASE", "SHOPLINE_API_VERSION", "SHOPLINE_RATE_PER_SEC", "SHOPLINE_BURST",
    "SHOPVOX_PAID_STATUSES", "SHOPVOX_ORDER_PREFIX", "PEOPLEVOX_URL", "PEOPLEVOX_CLIENT_ID",
    "PEOPLEVOX_USERNAME", "PEOPLEVOX_PASSWORD_ENCODING", "PEOPLEVOX_DEFAULT_SITE",
    "PEOPLEVOX_MAX_CONCURRENCY", "SHOPVOX_DESPATCH_POLL_S", "SHOPVOX_INVENTORY_SYNC_S",
    "SHOPVOX_STALLED_ORDER_S", "SHOPVOX_UNCONFIRMED_DESPATCH_S",
}
DESIGN_SECRET = {
    "SHOPVOX_DATABASE_URL", "SHOPVOX_ADMIN_TOKEN", "SHOPLINE_ACCESS_TOKEN",
    "SHOPLINE_APP_SECRET", "SHOPLINE_APP_SECRET_PREVIOUS", "PEOPLEVOX_PASSWORD",
    "PEOPLEVOX_WEBHOOK_TOKEN",
}
EXTRA_PLAIN = {"SHOPVOX_LOG_FORMAT", "SHOPVOX_SQL_DIR", "SHOPVOX_PVX_BATCH_MAX",
               "SHOPVOX_HTTP_THREADS", "SHOPVOX_MAX_BODY_BYTES", "PEOPLEVOX_TIMEOUT_MS",
               "SHOPVOX_CATALOGUE_SYNC_S", "SHOPVOX_JOB_MAX_ATTEMPTS", "SHOPVOX_JOB_LEASE_S", "SHOPVOX_SHUTDOWN_DEADLINE_S",
               "SHOPVOX_ALLOW_INSECURE_HTTP", "SHOPVOX_STATEMENT_TIMEOUT_MS",
               "SHOPVOX_METRICS_REFRESH_S", "SHOPVOX_RETENTION_DAYS",
               "SHOPVOX_ROUTING_RULES", "SHOPVOX_OPS_LISTEN", "SHOPVOX_BODY_BUDGET_BYTES",
               "SHOPVOX_HEADER_DEADLINE_MS", "SHOPVOX_REQUEST_DEADLINE_MS", "PEOPLEVOX_RATE",
               "PEOPLEVOX_TIMEZONE", "SHOPVOX_LOCATION_MAP",
               "SHOPVOX_INVENTORY_FULL_SYNC_S", "PEOPLEVOX_INVENTORY_CHANGES",
               "SHOPVOX_RESERVE_IN_FLIGHT", "SHOPVOX_VARIANT_SYNC_S", "SHOPVOX_ORDER_SWEEP_S",
               "SHOPVOX_PUBLIC_URL", "SHOPVOX_WEBHOOK_ENSURE_S", "SHOPVOX_WAREHOUSE_SWEEP_S",
               "SHOPVOX_DESPATCH_SWEEP_S", "SHOPVOX_RECONCILE_DAYS"}
ALLOWED_PLAIN = DESIGN_PLAIN | EXTRA_PLAIN
ALLOWED_ENV = ALLOWED_PLAIN | DESIGN_SECRET | {n + "_FILE" for n in DESIGN_SECRET}

RUNTIME_PACKAGES = {"libmicrohttpd12", "libcurl4", "libjson-c5", "libpq5", "libssl3",
                    "libxml2", "ca-certificates"}
BUILD_DEV_PACKAGES = {"libmicrohttpd-dev", "libcurl4-openssl-dev", "libjson-c-dev",
                      "libpq-dev", "libssl-dev", "libxml2-dev"}
BUILD_TOOLS = re.compile(r"^(build-essential|gcc.*|g\+\+.*|clang.*|cpp.*|make|cmake.*|"
                         r"pkg-config|pkgconf|autoconf|automake|libtool|git|curl|wget|"
                         r".*-dev)$")
# Every metric family the code describes (metrics_describe("name", ...)).
KNOWN_METRICS = set()
for d, _, files in os.walk(os.path.join(root, "service")):
    for f in files:
        if f.endswith(".c"):
            text = open(os.path.join(d, f), encoding="utf-8").read()
            KNOWN_METRICS |= set(re.findall(r'metrics_describe\(\s*"(shopvox_[a-z0-9_]+)"', text))
            # names kept in a macro: #define PVX_MET_ERRORS "shopvox_peoplevox_errors_total"
            KNOWN_METRICS |= set(re.findall(r'#define \w+ "(shopvox_[a-z0-9_]+)"', text))
SERVE_DRAIN_S = 25  # main.c drains in-flight requests this long after SIGTERM


# --- README drift: its configuration table names exactly what config.c reads ----
readme = open(path("README.md"), encoding="utf-8").read()
m = re.search(r"^## Configuration\n.*?(?=^## )", readme, re.S | re.M)
readme_names = set()
for line in (m.group(0) if m else "").splitlines():
    if line.startswith("| `"):
        readme_names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))

# --- README drift: its Operations section names every metric family -------------
ops = re.search(r"^## Operations\n.*?(?=^## )", readme, re.S | re.M)
ops_text = ops.group(0) if ops else ""
missing_metrics = sorted(m for m in KNOWN_METRICS if f"`{m}" not in ops_text)
check(KNOWN_METRICS and not missing_metrics, "README's Operations section lists every metric",
      f"not listed: {missing_metrics}")

config_c = path("service", "core", "base", "config.c")
config_names = set(re.findall(r'\{"([A-Z][A-Z0-9_]+)", CK_', open(config_c).read()))
check(config_names and readme_names == config_names,
      "README's configuration table lists exactly the variables config.c reads",
      f"only in README: {sorted(readme_names - config_names)}, "
      f"not in README: {sorted(config_names - readme_names)}")


# --- every YAML parses ---------------------------------------------------------
yaml_files = [path("docker-compose.yml")]
for d, _, files in os.walk(path("deploy")):
    yaml_files += [os.path.join(d, f) for f in sorted(files) if f.endswith((".yml", ".yaml"))]
docs = {}
for f in yaml_files:
    rel = os.path.relpath(f, root)
    try:
        with open(f, encoding="utf-8") as fh:
            docs[rel] = [x for x in yaml.safe_load_all(fh) if x is not None]
        check(len(docs[rel]) > 0, f"yaml parses: {rel}", "empty document")
    except (OSError, yaml.YAMLError) as e:
        check(False, f"yaml parses: {rel}", str(e).replace("\n", " "))


# --- Dockerfile -------------------------------------------------------------------
def dockerfile_instructions(p):
    out, cur = [], ""
    for raw in open(p, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not cur and (line.lstrip().startswith("#") or not line.strip()):
            continue
        if line.lstrip().startswith("#"):
            continue  # comment inside a continuation
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out


def apt_packages(run_args):
    pkgs = set()
    for m in re.finditer(r"apt-get\s+install\s+([^&;|]+)", run_args):
        pkgs |= {t for t in m.group(1).split() if not t.startswith("-")}
    return pkgs


dockerfile = path("Dockerfile")
if check(os.path.exists(dockerfile), "Dockerfile exists"):
    ins = dockerfile_instructions(dockerfile)
    stages = []
    for word, rest in ins:
        if word == "FROM":
            stages.append({"from": rest, "ins": []})
        elif stages:
            stages[-1]["ins"].append((word, rest))
    check(len(stages) == 2, "Dockerfile has two FROM stages", f"found {len(stages)}")
    if len(stages) == 2:
        build, run = stages
        check(re.match(r"debian:bookworm(@\S+)?\s+AS\s+\w+", build["from"], re.I) is not None,
              "build stage is debian:bookworm", build["from"])
        check(re.match(r"debian:bookworm-slim(@\S+)?(\s|$)", run["from"]) is not None,
              "runtime stage is debian:bookworm-slim", run["from"])
        bpk = set().union(*[apt_packages(r) for w, r in build["ins"] if w == "RUN"] or [set()])
        check(BUILD_DEV_PACKAGES | {"build-essential", "cmake", "pkg-config"} <= bpk,
              "build stage installs the compiler and -dev packages",
              f"missing {sorted(BUILD_DEV_PACKAGES | {'build-essential', 'cmake', 'pkg-config'} - bpk)}")
        check(any("-DSHOPVOX_TESTS=OFF" in r for w, r in build["ins"] if w == "RUN"),
              "build stage configures with -DSHOPVOX_TESTS=OFF")
        rpk = set().union(*[apt_packages(r) for w, r in run["ins"] if w == "RUN"] or [set()])
        tools = sorted(p for p in rpk if BUILD_TOOLS.match(p))
        check(not tools, "runtime stage installs no build tools", f"found {tools}")
        check(rpk == RUNTIME_PACKAGES, "runtime stage installs exactly the runtime libraries",
              f"extra {sorted(rpk - RUNTIME_PACKAGES)}, missing {sorted(RUNTIME_PACKAGES - rpk)}")
        users = [r for w, r in run["ins"] if w == "USER"]
        uid = users[-1].split(":")[0] if users else ""
        check(uid.isdigit() and int(uid) != 0, "runtime stage runs as a numeric non-root USER",
              f"USER {users[-1] if users else '(none)'}")
        ep = [r for w, r in run["ins"] if w == "ENTRYPOINT"]
        check(ep == ['["/usr/local/bin/shopvox"]'], "ENTRYPOINT is /usr/local/bin/shopvox", str(ep))
        cmd = [r for w, r in run["ins"] if w == "CMD"]
        check(cmd == ['["serve"]'], 'CMD is ["serve"]', str(cmd))
        check(any(r.split()[0] == "8080" for w, r in run["ins"] if w == "EXPOSE"), "EXPOSE 8080")
        envs = " ".join(r for w, r in run["ins"] if w == "ENV")
        check("SHOPVOX_SQL_DIR=/usr/share/shopvox/sql" in envs, "ENV SHOPVOX_SQL_DIR set")
        copies = [r for w, r in run["ins"] if w == "COPY"]
        check(any(c.startswith("--from=") and c.endswith("/usr/local/bin/shopvox") for c in copies),
              "runtime copies the binary from the build stage")
        check(any(c.startswith("--from=") and re.search(r"/usr/share/shopvox/sql/?$", c)
                  for c in copies), "runtime copies sql/ to /usr/share/shopvox/sql")
        for w, r in build["ins"]:
            if w == "COPY" and not r.startswith("--from"):
                srcs = r.split()[:-1]
                check(all(os.path.exists(path(s)) for s in srcs), f"build COPY sources exist: {r}")
    di = path(".dockerignore")
    if check(os.path.exists(di), ".dockerignore exists"):
        lines = [l.strip() for l in open(di) if l.strip() and not l.startswith("#")]
        if "*" in lines:
            kept = {l[1:].rstrip("/") for l in lines if l.startswith("!")}
            need = {"CMakeLists.txt", "include", "service", "sql"}
            check(need <= kept, ".dockerignore keeps what the build copies",
                  f"missing {sorted(need - kept)}")


# --- docker-compose.yml ------------------------------------------------------------
compose = (docs.get("docker-compose.yml") or [None])[0]
if isinstance(compose, dict):
    svcs = compose.get("services", {})
    check({"postgres", "migrate", "shopvox", "sandbox"} <= set(svcs),
          "compose has postgres, migrate, shopvox and sandbox", str(sorted(svcs)))
    pg = svcs.get("postgres", {})
    check(str(pg.get("image", "")).startswith("postgres:15"), "compose postgres is postgres:15")
    check("pg_isready" in str(pg.get("healthcheck", {}).get("test", "")),
          "compose postgres healthcheck uses pg_isready")
    sv = svcs.get("shopvox", {})
    dep = sv.get("depends_on", {})
    check(isinstance(dep, dict)
          and dep.get("postgres", {}).get("condition") == "service_healthy"
          and dep.get("migrate", {}).get("condition") == "service_completed_successfully",
          "compose shopvox waits for a healthy postgres and a finished migrate", str(dep))
    check("/readyz" in str(sv.get("healthcheck", {}).get("test", ""))
          and "/9090" in str(sv.get("healthcheck", {}).get("test", "")),
          "compose shopvox healthcheck asks /readyz on the ops port")
    check(svcs.get("migrate", {}).get("command") == ["migrate"], "compose migrate runs `migrate`")
    sb = svcs.get("sandbox", {}).get("command", [])
    check(sb[:1] == ["sandbox"] and "0.0.0.0:8090" in sb, "compose sandbox listens on 0.0.0.0:8090",
          str(sb))
    images = {n: svcs.get(n, {}).get("image") for n in ("migrate", "shopvox", "sandbox")}
    builds = {n: str(svcs.get(n, {}).get("build", {}).get("context"))
              for n in ("migrate", "shopvox", "sandbox")}
    check(len(set(images.values())) == 1 and None not in images.values(),
          "compose migrate/shopvox/sandbox use one image", str(images))
    check(set(builds.values()) == {"."}, "compose builds that image from ./Dockerfile", str(builds))
    for n in ("migrate", "shopvox"):
        env = svcs.get(n, {}).get("environment", {}) or {}
        keys = set(env) if isinstance(env, dict) else {e.split("=")[0] for e in env}
        check(keys <= ALLOWED_ENV, f"compose {n} environment uses only known names",
              f"unknown {sorted(keys - ALLOWED_ENV)}")
        check("sandbox:8090" in str(env.get("PEOPLEVOX_URL", "")) if isinstance(env, dict) else False,
              f"compose {n} points PEOPLEVOX_URL at the sandbox")


# --- Kubernetes -----------------------------------------------------------------------
k8s = {}
for rel, ds in docs.items():
    if rel.startswith(os.path.join("deploy", "kubernetes")):
        for d in ds:
            if isinstance(d, dict) and "kind" in d:
                k8s.setdefault(d["kind"], []).append((rel, d))


def one(kind):
    items = k8s.get(kind, [])
    check(len(items) == 1, f"kubernetes: exactly one {kind}", f"found {len(items)}")
    return items[0][1] if items else {}


def subset(a, b):
    return all(b.get(k) == v for k, v in (a or {}).items())


dep = one("Deployment")
cm = one("ConfigMap")
svc = one("Service")
pdb = one("PodDisruptionBudget")
kus = one("Kustomization")
sec = one("Secret")

spec = dep.get("spec", {})
tpl = spec.get("template", {})
pod = tpl.get("spec", {})
labels = tpl.get("metadata", {}).get("labels", {})
containers = pod.get("containers", [])
inits = pod.get("initContainers", [])
main = next((c for c in containers if c.get("name") == "shopvox"), containers[0] if containers else {})

check(spec.get("replicas", 1) >= 2, "deployment runs at least 2 replicas", str(spec.get("replicas")))
check(subset(spec.get("selector", {}).get("matchLabels"), labels),
      "deployment selector matches its pod labels")
check(subset(svc.get("spec", {}).get("selector"), labels) and svc.get("spec", {}).get("selector"),
      "service selector matches the pod labels")
check(subset(pdb.get("spec", {}).get("selector", {}).get("matchLabels"), labels),
      "poddisruptionbudget selector matches the pod labels")


def probe_path(c, name):
    return (c.get(name) or {}).get("httpGet", {}).get("path")


check(probe_path(main, "readinessProbe") == "/readyz", "readinessProbe is GET /readyz",
      str(probe_path(main, "readinessProbe")))
check(probe_path(main, "livenessProbe") == "/healthz", "livenessProbe is GET /healthz",
      str(probe_path(main, "livenessProbe")))
check(probe_path(main, "startupProbe") in ("/healthz", "/readyz"), "startupProbe is set")
ports = {p.get("name"): p.get("containerPort") for p in main.get("ports", [])}
check(8080 in ports.values(), "container exposes 8080", str(ports))
check(9090 in ports.values(), "container exposes the ops port 9090", str(ports))
for pn in ("readinessProbe", "livenessProbe", "startupProbe"):
    pp = (main.get(pn) or {}).get("httpGet", {}).get("port")
    check(pp in ports or pp in ports.values(), f"{pn} port is a container port", str(pp))
    # a flood on the public port must never fail a probe: probes ask the ops listener
    check(pp == 9090 or ports.get(pp) == 9090, f"{pn} asks the ops port (9090)", str(pp))
tp = (svc.get("spec", {}).get("ports") or [{}])[0].get("targetPort")
check(tp in ports or tp in ports.values(), "service targetPort is a container port", str(tp))

psc = pod.get("securityContext", {})
check(psc.get("runAsNonRoot") is True and int(psc.get("runAsUser", 0)) > 0,
      "pod runs as non-root (runAsNonRoot, runAsUser > 0)", str(psc))
check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod seccompProfile RuntimeDefault")
check(pod.get("automountServiceAccountToken") is False, "no service account token mounted")
for c in containers + inits:
    n = c.get("name")
    sc = c.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True, f"{n}: readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, f"{n}: allowPrivilegeEscalation false")
    check("ALL" in (sc.get("capabilities", {}).get("drop") or []), f"{n}: capabilities drop ALL")
    check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{n}: runAsNonRoot")
    res = c.get("resources", {})
    check(all(res.get(k, {}).get(r) for k in ("requests", "limits") for r in ("cpu", "memory")),
          f"{n}: cpu and memory requests and limits set", str(res))
    check(any(e.get("configMapRef", {}).get("name") == cm.get("metadata", {}).get("name")
              for e in c.get("envFrom", [])), f"{n}: envFrom the ConfigMap")
    env_names = {e.get("name") for e in c.get("env", [])}
    check(env_names <= ALLOWED_ENV, f"{n}: env uses only known names",
          f"unknown {sorted(env_names - ALLOWED_ENV)}")

check(any(c.get("args") == ["migrate"] for c in inits), "an initContainer runs `shopvox migrate`")
check(main.get("args", ["serve"]) == ["serve"], "main container runs `serve`")

# secrets: *_FILE paths point into the mounted Secret and name existing keys
vol_by_name = {v.get("name"): v for v in pod.get("volumes", [])}
sec_keys = set((sec.get("stringData") or {}) | (sec.get("data") or {}))
for c in containers + inits:
    mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts", [])}
    for e in c.get("env", []):
        if not e.get("name", "").endswith("_FILE"):
            continue
        d, key = os.path.split(e.get("value", ""))
        vol = vol_by_name.get(mounts.get(d), {})
        ok = (vol.get("secret", {}).get("secretName") == sec.get("metadata", {}).get("name")
              and key in sec_keys and key == e["name"][:-5])
        check(ok, f"{c.get('name')}: {e['name']} reads key {key} of the mounted Secret", e.get("value"))
mode = next((v["secret"].get("defaultMode") for v in vol_by_name.values() if "secret" in v), None)
check(mode is not None and mode & 0o044 == 0o040 and mode & 0o007 == 0,
      "secret files readable by the pod's group only (defaultMode 0440 with fsGroup)", str(mode))

# images: one image everywhere, the one kustomize rewrites
imgs = {c.get("image", "") for c in containers + inits}
names = {re.sub(r"[:@].*$", "", i.rsplit("/", 1)[-1]) if "/" in i else re.sub(r"[:@].*$", "", i)
         for i in imgs}
check(len(imgs) == 1, "deployment uses one image for all containers", str(sorted(imgs)))
kimgs = {i.get("name") for i in kus.get("images", [])}
check(names <= kimgs or not kimgs, "kustomization images[] names the deployment image",
      f"{sorted(names)} vs {sorted(kimgs)}")
compose_img = ((compose or {}).get("services", {}).get("shopvox", {}) or {}).get("image", "")
check(re.sub(r":.*$", "", compose_img) in names, "compose and kubernetes use the same image name",
      f"{compose_img} vs {sorted(names)}")

# annotations and shutdown
ann = tpl.get("metadata", {}).get("annotations", {})
check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/path") == "/metrics"
      and str(ann.get("prometheus.io/port")) == "9090",
      "prometheus scrape annotations point at /metrics on the ops port", str(ann))
pre = (main.get("lifecycle", {}).get("preStop", {}) or {})
pre_s = 0
if "sleep" in pre:
    pre_s = int(pre["sleep"].get("seconds", 0))
elif "exec" in pre:
    cmdl = pre["exec"].get("command", [])
    pre_s = int(cmdl[-1]) if cmdl and str(cmdl[-1]).isdigit() else 0
grace = int(pod.get("terminationGracePeriodSeconds", 30))
check(grace > pre_s + SERVE_DRAIN_S, "terminationGracePeriodSeconds covers preStop + drain",
      f"{grace} <= {pre_s} + {SERVE_DRAIN_S}")

# ConfigMap: only known non-secret names, all of section 5's, all strings
data = cm.get("data", {}) or {}
keys = set(data)
check(keys <= ALLOWED_PLAIN, "configmap keys are DESIGN.md configuration names",
      f"unknown {sorted(keys - ALLOWED_PLAIN)}")
check(not (keys & DESIGN_SECRET), "configmap holds no secret", str(sorted(keys & DESIGN_SECRET)))
check(DESIGN_PLAIN <= keys, "configmap sets every non-secret section 5 variable",
      f"missing {sorted(DESIGN_PLAIN - keys)}")
check(all(isinstance(v, str) for v in data.values()), "configmap values are strings",
      str([k for k, v in data.items() if not isinstance(v, str)]))
if config_names is not None:
    check(keys <= config_names, "configmap names are all read by service/core/base/config.c",
          f"not in config.c: {sorted(keys - config_names)}")

# Secret example: placeholders only, never applied by kustomize
check(sec_keys <= DESIGN_SECRET, "secret example keys are secret names",
      f"unknown {sorted(sec_keys - DESIGN_SECRET)}")
check(all("REPLACE_ME" in str(v) for v in (sec.get("stringData") or {}).values()) and not sec.get("data"),
      "secret example holds placeholders only")
res = kus.get("resources", [])
check(all(os.path.exists(path("deploy", "kubernetes", r)) for r in res),
      "kustomization resources exist", str(res))
check(not any("secret" in r for r in res), "kustomization does not apply the example Secret")


# --- Prometheus rules ---------------------------------------------------------------
rules = (docs.get(os.path.join("deploy", "prometheus", "alerts.yml")) or [{}])[0]
rules = rules if isinstance(rules, dict) else {}
runbook = path("deploy", "RUNBOOK.md")
anchors = set()
if check(os.path.exists(runbook), "deploy/RUNBOOK.md exists"):
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
               for h in re.findall(r"^#+\s+(.*)$", open(runbook).read(), re.M)}
tests_text = ""
tf = path("deploy", "prometheus", "alerts_test.yml")
if os.path.exists(tf):
    tests_text = open(tf).read()
alerts = [r for g in rules.get("groups", []) for r in g.get("rules", []) if "alert" in r]
check(len(alerts) >= 6, "alerts.yml defines the alerts", f"{len(alerts)} alerts")
for a in alerts:
    n = a["alert"]
    expr = str(a.get("expr", ""))
    used = set(re.findall(r"\b(shopvox_[a-z0-9_]+)", expr))
    unknown = sorted(u for u in used if u not in KNOWN_METRICS)
    check(not unknown, f"{n}: uses only metrics shopvox exports", f"unknown {unknown}")
    check(a.get("labels", {}).get("severity") in ("critical", "warning", "info"),
          f"{n}: has a severity")
    rb = a.get("annotations", {}).get("runbook_url", "")
    check(rb.split("#")[-1] in anchors and "summary" in a.get("annotations", {}),
          f"{n}: has a summary and a runbook section", rb)
    check(re.search(r"alertname:\s*" + re.escape(n) + r"\s*$", tests_text, re.M) is not None,
          f"{n}: has a promtool unit test")
for n in ("ShopvoxDown", "WebhookSignatureFailuresHigh", "DatabaseErrors", "DeadJobs",
          "OrdersStuckReady", "ExceptionsOpen"):
    check(any(a["alert"] == n for a in alerts), f"alert {n} exists")

if failures:
    print(f"\n{len(failures)} check(s) failed")
    sys.exit(1)
PY

# --- external linters, when installed --------------------------------------------
if command -v promtool >/dev/null 2>&1; then
    if (cd "$ROOT/deploy/prometheus" && promtool check rules alerts.yml >/dev/null 2>&1 &&
        promtool test rules alerts_test.yml >/dev/null 2>&1); then
        echo "ok   promtool check rules + test rules"
    else
        echo "FAIL promtool check rules + test rules:"
        (cd "$ROOT/deploy/prometheus" && promtool check rules alerts.yml; promtool test rules alerts_test.yml) 2>&1 | sed 's/^/     /'
        failed=1
    fi
else
    echo "skip promtool not installed (Debian: apt-get install prometheus)"
fi

if command -v hadolint >/dev/null 2>&1; then
    if hadolint "$ROOT/Dockerfile"; then
        echo "ok   hadolint Dockerfile"
    else
        echo "FAIL hadolint Dockerfile"
        failed=1
    fi
else
    echo "skip hadolint not installed"
fi

# The release binary is hardened (CMakeLists.txt, SHOPVOX_HARDEN): full RELRO
# (GNU_RELRO + BIND_NOW), stack protector, _FORTIFY_SOURCE=2 (__*_chk calls).
# $SHOPVOX_RELEASE_BIN, else build/shopvox (./dev test builds it).
bin=${SHOPVOX_RELEASE_BIN:-$ROOT/build/shopvox}
if [ ! -x "$bin" ]; then
    echo "FAIL hardening: no release binary at $bin (./dev build, or set SHOPVOX_RELEASE_BIN)"
    failed=1
else
    harden_ok=1
    readelf -lW "$bin" | grep -q GNU_RELRO || { echo "FAIL hardening: $bin has no GNU_RELRO"; harden_ok=0; }
    readelf -dW "$bin" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || { echo "FAIL hardening: $bin is not linked with -z now"; harden_ok=0; }
    readelf -sW --dyn-syms "$bin" | grep -q '__stack_chk_fail' || { echo "FAIL hardening: $bin has no stack protector"; harden_ok=0; }
    readelf -sW --dyn-syms "$bin" | grep -Eq '__[a-z]+_chk@' || { echo "FAIL hardening: $bin is not built with _FORTIFY_SOURCE"; harden_ok=0; }
    if [ "$harden_ok" = 1 ]; then
        echo "ok   hardening: $bin has full RELRO, stack protector and _FORTIFY_SOURCE"
    else
        failed=1
    fi
fi

if [ "$failed" -ne 0 ]; then
    echo "check_deploy: FAILED"
    exit 1
fi
echo "check_deploy: all checks passed"
exit 0
