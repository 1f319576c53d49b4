"""Benchmark audit-deps against pip-audit on the same input and the same OSV records.

    python benchmarks/bench_audit.py                     # generated: 300-dependency lock, 20,000 records
    python benchmarks/bench_audit.py --real-zip /path/to/osv.zip   # also: a realistic ML requirements
                                                                   # file against a real OSV zip

Whole-process wall time (subprocesses), median of several runs:
  * mlwarden audit-deps --osv-db ZIP, cold (fresh index cache) and cached (index reused);
  * mlwarden audit-deps --osv-url (the same records behind a local OSV API server);
  * pip-audit -s osv --osv-url (same server; `pip install pip-audit`; skipped when it is not installed).
The local server on 127.0.0.1 answers /v1/query, /v1/querybatch and /v1/vulns/{id} with its own, independent
OSV matcher (sorted ECOSYSTEM events + versions lists, compared with packaging), so comparing the findings of
the two tools also cross-checks mlwarden's matcher. Agreement is reported per (package, version): the set of
reported ids, and for each id its fix_versions and aliases.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# --------------------------------------------------------------------------- generated data

WORDS = ["torch", "tensor", "flow", "keras", "onnx", "vision", "audio", "text", "token", "lightning", "data", "frame", "array", "sparse", "graph", "vector", "embed", "model", "serve", "infer", "train", "tune", "opt", "grad", "cuda", "triton", "quant", "prune", "distill", "bert", "llama", "mistral", "phi", "diffuse", "image", "video", "speech", "nlp", "cv", "rl", "gym", "agent", "chain", "index", "search", "store", "cache", "queue", "stream", "batch", "pipe", "dag", "fabric", "mesh", "ray", "dask", "spark", "arrow", "parquet", "hub", "lake", "feature", "metric", "eval"]


def gen_names(rng: random.Random, n: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        out.add("-".join(rng.sample(WORDS, rng.choice((2, 2, 3)))) + rng.choice(("", "", "-py", "-lib", "x")))
    return sorted(out)


def gen_version(rng: random.Random) -> str:
    return f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"


def gen_records(rng: random.Random, names: list[str], hot: list[str], n: int) -> list[dict[str, Any]]:
    recs: list[dict[str, Any]] = []
    year = 2018
    i = 0
    while len(recs) < n:
        i += 1
        name = rng.choice(hot) if rng.random() < 0.25 else rng.choice(names)
        a = Version(gen_version(rng))
        b = Version(f"{a.major}.{a.minor + rng.randint(0, 6)}.{rng.randint(0, 12)}")
        lo, hi = sorted((a, b))
        if lo == hi:
            hi = Version(f"{hi.major}.{hi.minor}.{hi.micro + 1}")
        events: list[dict[str, str]] = [{"introduced": "0" if rng.random() < 0.4 else str(lo)}]
        if rng.random() < 0.1:
            events.append({"last_affected": str(hi)})
        else:
            events.append({"fixed": str(hi)})
        if rng.random() < 0.15:  # a second release line
            events += [{"introduced": f"{hi.major + 1}.0.0"}, {"fixed": f"{hi.major + 1}.{hi.minor}.1"}]
            rng.shuffle(events)
        versions = sorted({gen_version(rng) for _ in range(rng.randint(0, 40))})
        cve = f"CVE-{year + i % 7}-{10000 + i}"
        ghsa = "GHSA-" + "-".join("".join(rng.choice("23456789cfghjmpqrvwx") for _ in range(4)) for _ in range(3))
        sev = rng.random()
        base: dict[str, Any] = {
            "schema_version": "1.6.0",
            "modified": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00Z",
            "published": "2023-01-01T00:00:00Z",
            "details": f"A flaw in {name} allows attackers to do bad things. " * rng.randint(1, 6),
            "affected": [{"package": {"ecosystem": "PyPI", "name": name, "purl": f"pkg:pypi/{name}"},
                          "ranges": [{"type": "ECOSYSTEM", "events": events}], "versions": versions}],
            "references": [{"type": "WEB", "url": f"https://example.org/{i}"}],
        }
        if sev < 0.3:
            base["severity"] = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
        if rng.random() < 0.3 and len(recs) + 2 <= n:  # a PYSEC + GHSA pair for one bug
            recs.append({**base, "id": f"PYSEC-{year + i % 7}-{i}", "aliases": [cve, ghsa]})
            recs.append({**base, "id": ghsa, "aliases": [cve], "summary": f"{name} flaw",
                         "database_specific": {"severity": "HIGH"}})
        elif rng.random() < 0.01:
            recs.append({**base, "id": f"MAL-2024-{i}", "aliases": [], "summary": f"Malicious code in {name}"})
        else:
            recs.append({**base, "id": ghsa, "aliases": [cve], "summary": f"{name}: issue {i}"})
    return recs


def write_zip(path: Path, records: list[dict[str, Any]]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for r in records:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
    path.write_bytes(buf.getvalue())


def read_zip(path: Path) -> list[dict[str, Any]]:
    out = []
    with zipfile.ZipFile(path) as zf:
        for n in zf.namelist():
            if n.endswith(".json"):
                try:
                    out.append(json.loads(zf.read(n)))
                except ValueError:
                    pass
    return out


# --------------------------------------------------------------------------- independent OSV server

def _v(s: str) -> Version | None:
    try:
        return Version(s)
    except InvalidVersion:
        return None


def naive_affected(rec: dict[str, Any], name: str, version: str) -> bool:
    v = _v(version)
    if v is None:
        return False
    for aff in rec.get("affected", []):
        pkg = aff.get("package", {})
        if pkg.get("ecosystem") != "PyPI" or canonicalize_name(pkg.get("name", "")) != name:
            continue
        if version in aff.get("versions", []):
            return True
        for rng_ in aff.get("ranges", []):
            if rng_.get("type") != "ECOSYSTEM":
                continue
            evs = []
            for e in rng_.get("events", []):
                (k, val), = e.items()
                pv = Version("0") if val == "0" else _v(val)
                if pv is not None:
                    evs.append((pv, 0 if k == "introduced" else 1, k, val))
            # at equal versions "introduced" sorts first, as osv.dev evaluates (its enumerated `versions`
            # lists show it, e.g. PYSEC-2022-42972: [0.12.2, 0.13.0) affected, [0.13.0, 0.14.0rc1) not)
            evs.sort(key=lambda t: (t[0], t[1]))
            state = False
            for pv, _, k, val in evs:
                if k == "introduced" and (val == "0" or v >= pv):
                    state = True
                elif (k == "fixed" and v >= pv) or (k == "last_affected" and v > pv):
                    state = False
            if state:
                return True
    return False


class Osv:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.by_id = {r["id"]: r for r in records}
        self.by_name: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            for aff in r.get("affected", []):
                pkg = aff.get("package", {})
                if pkg.get("ecosystem") == "PyPI":
                    self.by_name.setdefault(canonicalize_name(pkg["name"]), []).append(r)
        self.hits = 0

    def match(self, name: str, version: str) -> list[dict[str, Any]]:
        name = canonicalize_name(name)
        seen, out = set(), []
        for r in self.by_name.get(name, []):
            if r["id"] not in seen and naive_affected(r, name, version):
                seen.add(r["id"])
                out.append(r)
        return sorted(out, key=lambda r: r["id"])

    def handler(self) -> type[BaseHTTPRequestHandler]:
        osv = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def send(self, doc: Any, code: int = 200) -> None:
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                osv.hits += 1
                q = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/v1/query":
                    m = osv.match(q["package"]["name"], q["version"])
                    self.send({"vulns": m} if m else {})
                elif self.path == "/v1/querybatch":
                    res = []
                    for qq in q["queries"]:
                        m = osv.match(qq["package"]["name"], qq["version"])
                        res.append({"vulns": [{"id": r["id"], "modified": r["modified"]} for r in m]} if m else {})
                    self.send({"results": res})
                else:
                    self.send({}, 404)

            def do_GET(self) -> None:
                osv.hits += 1
                r = osv.by_id.get(self.path.rsplit("/", 1)[-1])
                self.send(r if r is not None else {"message": "not found"}, 200 if r is not None else 404)

        return H


def serve(osv: Osv) -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), osv.handler())
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


# --------------------------------------------------------------------------- runs

def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    return time.perf_counter() - t0, proc


def median_run(cmd: list[str], env: dict[str, str], cwd: Path, n: int, fresh_cache: Path | None = None
               ) -> tuple[float, subprocess.CompletedProcess[str]]:
    times, last = [], None
    for _ in range(n):
        if fresh_cache is not None and fresh_cache.exists():
            shutil.rmtree(fresh_cache)
        t, last = timed(cmd, env, cwd)
        if last.returncode not in (0, 1):
            raise SystemExit(f"command failed ({last.returncode}): {' '.join(cmd)}\n{last.stderr[-2000:]}")
        times.append(t)
    assert last is not None
    return statistics.median(times), last


def vuln_map(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, tuple[tuple[str, ...], tuple[str, ...]]]]:
    out = {}
    for d in doc["dependencies"]:
        if "version" not in d:
            continue
        out[(d["name"], d["version"])] = {v["id"]: (tuple(v["fix_versions"]), tuple(sorted(v["aliases"])),
                                                    v.get("description"))
                                          for v in d["vulns"]}
    return out


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    a, b = vuln_map(ours), vuln_map(theirs)
    deps = sorted(set(a) | set(b))
    ids_same = fix_same = alias_same = desc_same = total_ours = total_theirs = 0
    diffs = []
    for k in deps:
        x, y = a.get(k, {}), b.get(k, {})
        total_ours += len(x)
        total_theirs += len(y)
        if set(x) != set(y):
            diffs.append((k, sorted(set(x) - set(y)), sorted(set(y) - set(x))))
        for i in set(x) & set(y):
            ids_same += 1
            fix_same += x[i][0] == y[i][0]
            alias_same += x[i][1] == y[i][1]
            desc_same += x[i][2] == y[i][2]
            if x[i] != y[i] and len(diffs) < 40:
                diffs.append((k, i, x[i], y[i]))
    return {"deps": len(deps), "deps_only_ours": len(set(a) - set(b)), "deps_only_theirs": len(set(b) - set(a)),
            "vulns_ours": total_ours, "vulns_theirs": total_theirs, "ids_in_common": ids_same,
            "fix_versions_equal": fix_same, "aliases_equal": alias_same, "descriptions_equal": desc_same,
            "diffs": diffs}


REALISTIC = """\
aiohttp==3.8.1
bentoml==1.0.10
certifi==2022.9.24
cryptography==3.3.1
dask==2021.1.0
django==3.2.0
flask==1.1.2
gradio==3.30.0
idna==3.6
jinja2==2.11.2
joblib==1.1.0
jupyter-server==1.10.0
keras==2.6.0
langchain==0.0.200
lxml==4.6.2
mlflow==2.0.0
nltk==3.6.0
notebook==6.1.0
numpy==1.21.0
onnx==1.12.0
paramiko==2.7.0
pillow==9.0.0
protobuf==3.18.0
pyarrow==14.0.0
pyyaml==5.3.1
ray==2.6.0
requests==2.25.0
scikit-learn==0.23.0
scipy==1.5.0
setuptools==65.0.0
tensorflow==2.4.1
torch==1.13.0
tornado==6.1
tqdm==4.60.0
transformers==4.30.0
urllib3==1.26.4
werkzeug==2.0.0
"""


def sampled_pins(rng: random.Random, records: list[dict[str, Any]], n: int) -> str:
    """One pin per package: a version some record lists for it (often affected, sometimes on a range edge)."""
    versions: dict[str, set[str]] = {}
    for r in records:
        for aff in r.get("affected", []):
            pkg = aff.get("package", {})
            if pkg.get("ecosystem") == "PyPI":
                vs = {v for v in aff.get("versions", []) if _v(v) is not None}
                for rng_ in aff.get("ranges", []):
                    vs |= {val for e in rng_.get("events", []) for val in e.values()
                           if val != "0" and _v(val) is not None}
                if vs:
                    versions.setdefault(canonicalize_name(pkg["name"]), set()).update(vs)
    names = rng.sample(sorted(versions), min(n, len(versions)))
    return "".join(f"{name}=={rng.choice(sorted(versions[name]))}\n" for name in sorted(names))


def bench(label: str, work: Path, db: Path, records: list[dict[str, Any]], req_text: str,
          runs: int) -> None:
    req = work / "requirements.txt"
    req.write_text(req_text, encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("MLWARDEN_")}
    mlw = [sys.executable, "-m", "mlwarden", "audit-deps", str(req), "--format", "pip-audit-json"]
    cache = work / "mlw-cache"
    print(f"\n== {label}: {len(req_text.splitlines())} dependencies, {len(records)} OSV records "
          f"({db.stat().st_size / 1e6:.1f} MB zip)")
    cold, p_cold = median_run([*mlw, "--osv-db", str(db), "--cache-dir", str(cache)], env, work, runs, cache)
    warm, p_warm = median_run([*mlw, "--osv-db", str(db), "--cache-dir", str(cache)], env, work, runs + 2)
    osv = Osv(records)
    httpd, url = serve(osv)
    try:
        online, p_on = median_run([*mlw, "--osv-url", url], env, work, runs)
        pa = shutil.which("pip-audit")
        pa_time = None
        p_pa = None
        if pa:
            pa_cmd = [pa, "-r", str(req), "--no-deps", "--disable-pip", "-s", "osv", "--osv-url", f"{url}/v1/query",
                      "-f", "json", "--progress-spinner", "off", "--cache-dir", str(work / "pa-cache")]
            pa_time, p_pa = median_run(pa_cmd, env, work, runs)
    finally:
        httpd.shutdown()
    ours = json.loads(p_warm.stdout)
    assert json.loads(p_cold.stdout) == ours, "cold and cached reports differ"
    print(f"mlwarden audit-deps --osv-db (cold, index built) : {cold:7.3f} s")
    print(f"mlwarden audit-deps --osv-db (cached index)      : {warm:7.3f} s")
    print(f"mlwarden audit-deps --osv-url (local OSV API)    : {online:7.3f} s")
    if pa_time is not None:
        print(f"pip-audit -s osv --osv-url (local OSV API)       : {pa_time:7.3f} s")
    else:
        print("pip-audit                                        :   (not installed: pip install pip-audit)")
    n_vulns = sum(len(d.get("vulns", [])) for d in ours["dependencies"])
    print(f"mlwarden findings: {n_vulns} advisories on "
          f"{sum(1 for d in ours['dependencies'] if d.get('vulns'))} dependencies")
    on = json.loads(p_on.stdout)
    print(f"offline vs online mlwarden reports identical: {on == ours}")
    if p_pa is not None:
        theirs = json.loads(p_pa.stdout)
        c = compare(ours, theirs)
        diffs = c.pop("diffs")
        print("agreement with pip-audit: " + ", ".join(f"{k}={v}" for k, v in c.items()))
        for d in diffs[:15]:
            print("  diff:", d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--deps", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--real-zip", type=Path, default=None, help="a real OSV PyPI zip to compare on as well")
    ap.add_argument("--real-sample", type=int, default=0,
                    help="also audit N packages of the real zip, each at a version its records list")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        work = Path(tmp)
        names = gen_names(rng, 4000)
        hot = rng.sample(names, args.deps)
        records = gen_records(rng, names, hot, args.records)
        db = work / "generated-all.zip"
        write_zip(db, records)
        lock = "".join(f"{n}=={gen_version(rng)}\n" for n in sorted(hot))
        bench("generated", work, db, records, lock, args.runs)
        if args.real_zip:
            real = work / "real"
            real.mkdir()
            real_records = read_zip(args.real_zip)
            bench(f"real {args.real_zip.name}", real, args.real_zip, real_records, REALISTIC, args.runs)
            if args.real_sample:
                sample = work / "sample"
                sample.mkdir()
                bench(f"real {args.real_zip.name}, sampled pins", sample, args.real_zip, real_records,
                      sampled_pins(rng, real_records, args.real_sample), 1)


if __name__ == "__main__":
    main()
