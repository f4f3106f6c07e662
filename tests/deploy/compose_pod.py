#!/usr/bin/env python3
"""compose_pod.py - runs docker-compose.yml as one podman pod.

    tests/deploy/compose_pod.py up   [--project NAME] [--file docker-compose.yml]
    tests/deploy/compose_pod.py down [--project NAME] [--file docker-compose.yml]

Why not podman-compose: Debian 12's podman-compose (1.0.3) mangles the
exec-form health checks of the file (["CMD", "bash", "-c", ...] becomes a
broken shell line), ignores depends_on conditions (migrate would race
PostgreSQL, shopvox would start before migrate finished), and its per-project
network has no DNS without the dnsname CNI plugin. This runs the same file
instead: one pod per project (shared network namespace; every service name is
an --add-host alias of 127.0.0.1, so postgres:5432 and sandbox:8090 resolve as
in compose), each service's image, command, environment, volumes, ports (on
the pod), read_only, security_opt, cap_drop and health check as written, with
${VAR:-default} taken from the environment. Services start in dependency
order and `up` waits for each depends_on condition: service_healthy (the
service's own check, run with `podman healthcheck run`: no systemd timers
here), service_completed_successfully (exit 0) or service_started. `up`
returns once every long-running service with a health check is healthy and
prints "ready_s=<seconds>". Images must exist (tests/deploy/image.sh).

Exit 0 on success; 1 with the failing service's log otherwise.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import yaml

VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(value):
    """${VAR}, ${VAR:-default}; $$ is a literal $ (compose semantics)."""
    if isinstance(value, str):
        return VAR.sub(lambda m: "$" if m.group(0) == "$$"
                       else os.environ.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


def podman(*args, check=True, capture=True):
    res = subprocess.run(["podman", *args], text=True,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.STDOUT if capture else None)
    if check and res.returncode != 0:
        sys.exit(f"FAIL podman {' '.join(args)}: {res.stdout}")
    return res


def seconds(text):
    """Compose durations: 5s, 1m30s, 250ms."""
    total = 0.0
    for num, unit in re.findall(r"([0-9.]+)(ms|s|m|h)", str(text)):
        total += float(num) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def order(services):
    """Services in dependency order."""
    done, out = set(), []

    def visit(name):
        if name in done:
            return
        done.add(name)
        for dep in services[name].get("depends_on") or {}:
            visit(dep)
        out.append(name)
    for name in services:
        visit(name)
    return out


def env_args(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    return [a for k, v in env.items() for a in ("-e", f"{k}={v}")]


def health_args(svc):
    hc = svc.get("healthcheck")
    if not hc:
        return []
    test = hc["test"]
    # podman 4.3 splits a JSON ["CMD", ...] on blanks; it takes the argv
    # without "CMD" as exec form, and ["CMD-SHELL", line] as it is
    cmd = json.dumps(test if test[0] == "CMD-SHELL" else test[1:])
    args = ["--health-cmd", cmd]
    for key in ("interval", "timeout", "start_period", "retries"):
        if key in hc:
            args.append(f"--health-{key.replace('_', '-')}={hc[key]}")
    return args


def fail_with_log(ctr, why):
    log = podman("logs", "--tail", "30", ctr, check=False).stdout
    sys.exit(f"FAIL {why}\n--- last lines of {ctr}:\n{log}")


def wait_healthy(ctr, hc):
    deadline = time.time() + seconds(hc.get("start_period", "0s")) + \
        seconds(hc.get("interval", "30s")) * int(hc.get("retries", 3)) + 5
    while time.time() < deadline:
        if podman("healthcheck", "run", ctr, check=False).returncode == 0:
            return
        state = podman("inspect", "--format", "{{.State.Status}}", ctr, check=False).stdout.strip()
        if state not in ("running", "created", "configured"):
            fail_with_log(ctr, f"{ctr} stopped ({state}) before its health check passed")
        time.sleep(0.5)
    fail_with_log(ctr, f"{ctr}: health check not green in time")


def wait_done(ctr):
    code = podman("wait", ctr).stdout.strip()
    if code != "0":
        fail_with_log(ctr, f"{ctr} exited {code}")


def up(cfg, project):
    t0 = time.time()
    services = cfg["services"]
    ports = [a for s in services.values() for p in s.get("ports") or [] for a in ("-p", p)]
    hosts = [a for name in services for a in ("--add-host", f"{name}:127.0.0.1")]
    for vol in cfg.get("volumes") or {}:
        if podman("volume", "exists", f"{project}_{vol}", check=False).returncode != 0:
            podman("volume", "create", f"{project}_{vol}")
    podman("pod", "create", "--name", project, *ports, *hosts)
    for name in order(services):
        svc = services[name]
        for dep, cond in (svc.get("depends_on") or {}).items():
            cond = cond.get("condition", "service_started") if isinstance(cond, dict) else "service_started"
            if cond == "service_healthy":
                wait_healthy(f"{project}-{dep}", services[dep]["healthcheck"])
            elif cond == "service_completed_successfully":
                wait_done(f"{project}-{dep}")
        args = ["run", "-d", "--pull=never", "--pod", project, "--name", f"{project}-{name}"]
        if svc.get("read_only"):
            args.append("--read-only")
        args += [a for o in svc.get("security_opt") or [] for a in ("--security-opt", o)]
        args += [a for c in svc.get("cap_drop") or [] for a in ("--cap-drop", c)]
        args += [a for v in svc.get("volumes") or [] for a in ("-v", f"{project}_{v}")]
        if "stop_grace_period" in svc:
            args += ["--stop-timeout", str(int(seconds(svc["stop_grace_period"])))]
        args += env_args(svc) + health_args(svc)
        args.append(svc["image"])
        args += svc.get("command") or []
        podman(*args)
    for name, svc in services.items():
        if svc.get("healthcheck"):
            wait_healthy(f"{project}-{name}", svc["healthcheck"])
    print(f"ready_s={time.time() - t0:.1f}")


def down(cfg, project):
    podman("pod", "rm", "-f", "-t", "30", project, check=False)
    for vol in cfg.get("volumes") or {}:
        podman("volume", "rm", "-f", f"{project}_{vol}", check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["up", "down"])
    ap.add_argument("--project", default="shopvox")
    ap.add_argument("--file", default="docker-compose.yml")
    opts = ap.parse_args()
    with open(opts.file, encoding="utf-8") as f:
        cfg = interpolate(yaml.safe_load(f))
    (up if opts.command == "up" else down)(cfg, opts.project)


if __name__ == "__main__":
    main()
