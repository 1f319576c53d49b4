"""One self-contained HTML report: the supply-chain map and the findings.

* no network: inline CSS, inline SVG and a little plain JavaScript; a Content-Security-Policy that allows no
  request at all (``default-src 'none'``), so even a rendering bug cannot make the page fetch anything;
* readable with JavaScript off: every table is in the HTML and groups are native ``<details>``; the script
  only adds filters and pagination;
* byte-stable: the same report renders to the same bytes (sorted, no time stamps);
* every string that came from a scanned tree (paths, package and model names, messages) is escaped as text
  and stripped of control and bidi characters: a file name is never markup.

It renders the JSON report document (``formats.jsonfmt.document``), so ``mlwarden report --html`` can draw a
saved report again. The map comes from ``meta.map`` (see ``mlwarden.supplymap``); findings are attached to map
nodes by place (``path`` or ``path:line``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlwarden.core.findings import Severity, printable
from mlwarden.formats import Report

SEVERITIES = [s.label for s in sorted(Severity, reverse=True)]  # critical .. info
_RANK = {s.label: int(s) for s in Severity}
COLORS = {"critical": "#7b1fa2", "high": "#c62828", "medium": "#ef6c00", "low": "#f9a825", "info": "#1565c0",
          "ok": "#2e7d32"}
SVG_PER_LAYER = 24  # nodes drawn per layer in the picture; the tables list every one
PAGE_ROWS = 100  # rows per findings group before "show more" (script only)
CHECK_OF_RANGE = {"1": "check-unsafe-loads", "2": "check-unsafe-loads", "3": "check-pins",
                  "4": "check-typosquats", "5": "scan-models", "6": "audit-deps", "7": "generate-sbom",
                  "8": "check-pipeline", "9": "verify-artifacts", "0": "core"}


def esc(value: Any, limit: int = 2000) -> str:
    text = printable(str(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def render(report: Report) -> str:
    from mlwarden.formats.jsonfmt import document

    return render_document(document(report))


def _check_of(f: Mapping[str, Any]) -> str:
    check = f.get("check")
    if isinstance(check, str) and check:
        return check
    rid = str(f.get("id", ""))
    return CHECK_OF_RANGE.get(rid[3:4], "other") if rid.startswith("MLW") else "other"


def _sev(f: Mapping[str, Any]) -> str:
    s = str(f.get("severity", "info"))
    return s if s in _RANK else "info"


def _worst(sevs: Iterable[str]) -> str | None:
    best: str | None = None
    for s in sevs:
        if best is None or _RANK[s] > _RANK[best]:
            best = s
    return best


def _place_keys(f: Mapping[str, Any]) -> list[str]:
    path = str(f.get("path", ""))
    line = f.get("line")
    return [f"{path}:{line}", path] if line else [path]


class _Index:
    """Findings by place, for colouring map nodes and edges."""

    def __init__(self, findings: Sequence[Mapping[str, Any]]) -> None:
        self.by_place: dict[str, list[Mapping[str, Any]]] = {}
        self.by_path: dict[str, list[Mapping[str, Any]]] = {}
        for f in findings:
            path = str(f.get("path", ""))
            self.by_path.setdefault(path, []).append(f)
            if f.get("line"):
                self.by_place.setdefault(f"{path}:{f.get('line')}", []).append(f)

    def for_node(self, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        out: dict[int, Mapping[str, Any]] = {}
        for place in node.get("places", ()) or ():
            place = str(place)
            hits = self.by_place.get(place) if _has_line(place) else self.by_path.get(place)
            for f in hits or ():
                out[id(f)] = f
        return list(out.values())


def _has_line(place: str) -> bool:
    head, sep, tail = place.rpartition(":")
    return bool(sep and head and tail.isdigit())


def render_document(doc: Mapping[str, Any], links: Mapping[str, str] | None = None) -> str:
    findings = [f for f in doc.get("findings", []) if isinstance(f, Mapping)]
    meta = doc.get("meta", {}) if isinstance(doc.get("meta"), Mapping) else {}
    smap = meta.get("map") if isinstance(meta.get("map"), Mapping) else None
    links = dict(links or (meta.get("reports") if isinstance(meta.get("reports"), Mapping) else {}) or {})
    index = _Index(findings)
    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    w("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
    w("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
    w("<title>mlwarden supply-chain report</title>\n<style>\n" + _CSS + "</style>\n</head>\n<body>\n")
    _header(w, doc, meta, findings, links)
    nodes = _map(w, smap, index)
    _findings(w, findings)
    notes = [n for n in doc.get("notes", []) if isinstance(n, str)]
    if notes:
        w("<section id=\"notes\"><h2>Notes</h2><ul>\n")
        for n in notes:
            w(f"<li>{esc(n)}</li>\n")
        w("</ul></section>\n")
    w(f"<footer>mlwarden {esc(doc.get('version', ''))} · {len(findings)} findings · {nodes} map nodes"
      "</footer>\n")
    w("<script>\n" + _JS.replace("__PAGE__", str(PAGE_ROWS)) + "</script>\n</body>\n</html>\n")
    return "".join(out)


# ------------------------------------------------------------------------------------------------ header

def _header(w: Any, doc: Mapping[str, Any], meta: Mapping[str, Any], findings: Sequence[Mapping[str, Any]],
            links: Mapping[str, str]) -> None:
    counts = {s: 0 for s in SEVERITIES}
    per_check: dict[str, dict[str, int]] = {}
    for f in findings:
        s = _sev(f)
        counts[s] += 1
        per_check.setdefault(_check_of(f), {x: 0 for x in SEVERITIES})[s] += 1
    w("<header>\n<h1>mlwarden supply-chain report</h1>\n")
    w(f"<p class=\"total\" data-total=\"{len(findings)}\"><strong>{len(findings)}</strong> findings</p>\n")
    w("<ul class=\"badges\">")
    for s in SEVERITIES:
        w(f"<li class=\"sev-{s}\" data-sev=\"{s}\"><span>{s}</span> <b>{counts[s]}</b></li>")
    w("</ul>\n")
    scan = meta.get("scan") if isinstance(meta.get("scan"), Mapping) else {}
    ran = [c for c in (scan or {}).get("checks", []) if isinstance(c, str)]
    for c in ran:
        per_check.setdefault(c, {x: 0 for x in SEVERITIES})
    if per_check:
        w("<table class=\"checks\"><caption>Findings per check</caption><thead><tr><th>check</th>")
        w("".join(f"<th>{s}</th>" for s in SEVERITIES) + "</tr></thead><tbody>\n")
        for c in sorted(per_check):
            row = per_check[c]
            w(f"<tr><td>{esc(c)}</td>" + "".join(f"<td>{row[s]}</td>" for s in SEVERITIES) + "</tr>\n")
        w("</tbody></table>\n")
    facts: list[str] = []
    skipped = (scan or {}).get("skipped") if isinstance((scan or {}).get("skipped"), Mapping) else {}
    if skipped:
        facts.append("skipped: " + ", ".join(esc(k) for k in sorted(skipped)))
    errors = (scan or {}).get("errors") if isinstance((scan or {}).get("errors"), Mapping) else {}
    if errors:
        facts.append("<strong class=\"error\">errors: " + ", ".join(esc(k) for k in sorted(errors)) +
                     "</strong>")
    facts.extend(_hidden(doc.get("stats")))
    db = _database(meta)
    if db:
        facts.append(db)
    if facts:
        w("<ul class=\"facts\">" + "".join(f"<li>{x}</li>" for x in facts) + "</ul>\n")
    if links:
        w("<p class=\"links\">Reports written with this one: " + ", ".join(
            f"<a href=\"{esc(href)}\">{esc(name)}</a>" for name, href in sorted(links.items())) + "</p>\n")
    w("</header>\n")


def _hidden(stats: Any) -> list[str]:
    """What triage hid from this report (the JSON document's ``stats``)."""
    if not isinstance(stats, Mapping):
        return []
    out = []
    base = stats.get("baseline")
    if isinstance(base, Mapping):
        out.append(f"baseline {esc(base.get('file', ''))}: {esc(base.get('baselined', 0))} baselined, "
                   f"{esc(base.get('fixed', 0))} fixed since")
    if stats.get("suppressed"):
        out.append(f"{esc(stats['suppressed'])} suppressed")
    since = stats.get("new-since")
    if isinstance(since, Mapping):
        out.append(f"new since {esc(since.get('rev', ''))}: {esc(since.get('unchanged', 0))} on unchanged "
                   "lines not shown")
    if stats.get("filtered"):
        out.append(f"{esc(stats['filtered'])} filtered out")
    return out


def _database(meta: Mapping[str, Any]) -> str | None:
    for key in ("audit-deps", "database"):
        block = meta.get(key)
        if isinstance(block, Mapping):
            inner = block.get("database")
            db: Mapping[str, Any] = inner if isinstance(inner, Mapping) else block
            age = db.get("age_days")
            newest = db.get("newest_modified") or db.get("modified")
            if age is not None or newest:
                parts = ["advisory database"]
                if newest:
                    parts.append(f"newest record {esc(newest)}")
                if age is not None:
                    parts.append(f"age {esc(age)} days")
                return ", ".join(parts)
    return None


# ----------------------------------------------------------------------------------------------- the map

def _node_status(node: Mapping[str, Any]) -> str:
    layer = node.get("layer")
    bits: list[str] = []
    if layer == "libraries":
        bits.append(f"== {node['version']}" if node.get("pinned") and node.get("version") else
                    ("pinned" if node.get("pinned") else "not pinned"))
        bits.append("hashed" if node.get("hashed") else "no hash")
        if node.get("scope") == "optional":
            bits.append("optional")
    elif node.get("source") == "huggingface":
        if node.get("pinned"):
            bits.append(f"commit {str(node.get('version', ''))[:12]}")
        else:
            bits.append(f"mutable revision {node['revision']}" if node.get("revision") else
                        "no revision (main)")
    elif node.get("source") == "file":
        bits.append(str(node.get("format", "")))
        bits.append(f"scan: {node.get('verdict', 'unknown')}")
        if node.get("size") is not None:
            bits.append(f"{node['size']} bytes")
    elif node.get("source") == "dvc":
        bits.append("DVC-tracked")
    elif node.get("source") == "url":
        bits.append("download over https" if node.get("secure") else "download over plain http"
                    if str(node.get("name", "")).startswith("http://") else "download")
    elif layer == "pipeline":
        bits.append("pinned by digest" if node.get("pinned") else "mutable tag")
    for key in ("lock", "signature"):
        if node.get(key):
            bits.append(f"{key}: {node[key]}")
    return ", ".join(esc(b) for b in bits if b)


def _map(w: Any, smap: Mapping[str, Any] | None, index: _Index) -> int:
    w("<section id=\"map\">\n<h2>Supply-chain map</h2>\n")
    if smap is None:
        w("<p class=\"empty\">This report has no map (run <code>mlwarden scan --html FILE</code>, or "
          "<code>--map</code> with <code>--json</code>, to record one).</p>\n</section>\n")
        return 0
    layers = [(str(x.get("id")), str(x.get("title", x.get("id"))))
              for x in smap.get("layers", []) if isinstance(x, Mapping)]
    nodes = [n for n in smap.get("nodes", []) if isinstance(n, Mapping) and n.get("id")]
    edges = [e for e in smap.get("edges", []) if isinstance(e, Mapping)]
    info: dict[str, tuple[str, str, int]] = {}  # node id -> (html id, worst or "ok", finding count)
    for i, n in enumerate(nodes, 1):
        attached = index.for_node(n)
        worst = _worst(_sev(f) for f in attached)
        if worst is None and n.get("verdict") in ("malicious", "suspicious"):
            worst = "critical" if n.get("verdict") == "malicious" else "high"
        info[str(n["id"])] = (f"n{i}", worst or "ok", len(attached))
    by_layer: dict[str, list[Mapping[str, Any]]] = {k: [] for k, _ in layers}
    for n in nodes:
        by_layer.setdefault(str(n.get("layer")), []).append(n)
    _svg(w, layers, by_layer, edges, info, index)
    for key, title in layers:
        items = by_layer.get(key, [])
        worst_first = sorted(items, key=lambda n: (-_RANK.get(info[str(n['id'])][1], -1), str(n.get("name"))))
        w(f"<details class=\"layer\" id=\"layer-{esc(key)}\" data-layer=\"{esc(key)}\" "
          f"data-count=\"{len(items)}\"{' open' if 0 < len(items) <= 50 else ''}>")
        w(f"<summary>{esc(title)} <span class=\"count\">{len(items)}</span></summary>\n")
        if not items:
            w("<p class=\"empty\">none found</p></details>\n")
            continue
        w("<table class=\"nodes\"><thead><tr><th>status</th><th>name</th><th>facts</th><th>where</th>"
          "<th>findings</th></tr></thead><tbody>\n")
        for n in worst_first:
            hid, worst, count = info[str(n["id"])]
            places = [str(p) for p in n.get("places", []) or []]
            shown = ", ".join(esc(p) for p in places[:5]) + (f" and {len(places) - 5} more"
                                                              if len(places) > 5 else "")
            name = esc(n.get("name", ""))
            if n.get("version") and key == "libraries":
                name += f" <span class=\"ver\">{esc(n['version'])}</span>"
            if n.get("sha256"):
                name += f"<br><code class=\"sha\">sha256:{esc(n['sha256'])}</code>"
            w(f"<tr class=\"node\" id=\"{hid}\" data-worst=\"{worst}\"><td><span class=\"dot sev-{worst}\">"
              f"{worst}</span></td><td>{name}</td><td>{_node_status(n)}</td><td>{shown}</td>"
              f"<td>{count}</td></tr>\n")
        w("</tbody></table></details>\n")
    loads = [e for e in edges if str(e.get("from")) in info and str(e.get("to")) in info]
    if loads:
        w(f"<details class=\"layer\" id=\"edges\" data-count=\"{len(loads)}\"><summary>Code → artifact "
          f"<span class=\"count\">{len(loads)}</span></summary>\n<table class=\"edges\"><thead><tr>"
          "<th>loader</th><th>code</th><th>loads</th></tr></thead><tbody>\n")
        names = {str(n["id"]): str(n.get("name", "")) for n in nodes}
        for e in loads:
            src, dst = str(e["from"]), str(e["to"])
            safety = _edge_safety(e, names, index)
            where = names[src] + (f":{e['line']}" if e.get("line") else "")
            w(f"<tr data-safety=\"{safety}\"><td><span class=\"dot sev-{safety}\">{safety}</span></td>"
              f"<td><a href=\"#{info[src][0]}\">{esc(where)}</a></td>"
              f"<td><a href=\"#{info[dst][0]}\">{esc(names[dst])}</a></td></tr>\n")
        w("</tbody></table></details>\n")
    w("</section>\n")
    return len(nodes)


def _edge_safety(edge: Mapping[str, Any], names: Mapping[str, str], index: _Index) -> str:
    path = names.get(str(edge.get("from")), "")
    hits = index.by_place.get(f"{path}:{edge.get('line')}", []) if edge.get("line") else []
    return _worst(_sev(f) for f in hits if _check_of(f) in ("check-unsafe-loads", "check-pipeline")) or "ok"


def _svg(w: Any, layers: Sequence[tuple[str, str]], by_layer: Mapping[str, Sequence[Mapping[str, Any]]],
         edges: Sequence[Mapping[str, Any]], info: Mapping[str, tuple[str, str, int]], index: _Index) -> None:
    col_w, box_w, row_h, top = 236, 212, 26, 44
    pos: dict[str, tuple[int, int]] = {}
    rows = 1
    body: list[str] = []
    for ci, (key, title) in enumerate(layers):
        x = 12 + ci * col_w
        items = sorted(by_layer.get(key, []),
                       key=lambda n: (-_RANK.get(info[str(n['id'])][1], -1), str(n.get("name"))))
        body.append(f"<text class=\"col\" x=\"{x}\" y=\"24\">{esc(title)} ({len(items)})</text>")
        for ri, n in enumerate(items[:SVG_PER_LAYER]):
            y = top + ri * row_h
            hid, worst, count = info[str(n["id"])]
            pos[str(n["id"])] = (x, y)
            raw = str(n.get("name", ""))
            label = esc(raw if len(raw) <= 30 else "…" + raw[-29:], 40)
            body.append(f"<a href=\"#{hid}\"><rect class=\"box sev-{worst}\" x=\"{x}\" y=\"{y}\" "
                        f"width=\"{box_w}\" height=\"{row_h - 6}\" rx=\"4\"><title>{esc(n.get('name', ''))}"
                        f" — {worst}, {count} findings</title></rect><text x=\"{x + 6}\" y=\"{y + 14}\">"
                        f"{label}</text></a>")
        if len(items) > SVG_PER_LAYER:
            y = top + SVG_PER_LAYER * row_h
            body.append(f"<a href=\"#layer-{esc(key)}\"><text class=\"more\" x=\"{x + 6}\" y=\"{y + 14}\">"
                        f"+ {len(items) - SVG_PER_LAYER} more</text></a>")
            rows = max(rows, SVG_PER_LAYER + 1)
        rows = max(rows, min(len(items), SVG_PER_LAYER))
    lines: list[str] = []
    names = {nid: "" for nid in info}
    for layer in by_layer.values():
        for n in layer:
            names[str(n["id"])] = str(n.get("name", ""))
    for e in edges:
        a, b = pos.get(str(e.get("from"))), pos.get(str(e.get("to")))
        if a is None or b is None:
            continue
        safety = _edge_safety(e, names, index)
        x1, y1 = a[0] + box_w, a[1] + (row_h - 6) // 2
        x2, y2 = b[0], b[1] + (row_h - 6) // 2
        mid = (x1 + x2) // 2
        lines.append(f"<path class=\"edge sev-{safety}\" d=\"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}\"/>")
    width = 12 + len(layers) * col_w
    height = top + rows * row_h + 12
    w(f"<svg class=\"map\" role=\"img\" aria-label=\"supply-chain map\" viewBox=\"0 0 {width} {height}\" "
      f"width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">")
    w("".join(lines) + "".join(body) + "</svg>\n")


# ------------------------------------------------------------------------------------------- findings

def _findings(w: Any, findings: Sequence[Mapping[str, Any]]) -> None:
    w("<section id=\"findings\">\n<h2>Findings</h2>\n")
    if not findings:
        w("<p class=\"empty\">No findings.</p>\n</section>\n")
        return
    checks = sorted({_check_of(f) for f in findings})
    roles = sorted({str(f.get("role")) for f in findings if f.get("role")})
    w("<form id=\"filters\" class=\"filters\" hidden>"
      "<label>severity at least <select id=\"f-sev\">" +
      "".join(f"<option value=\"{s}\"{' selected' if s == 'info' else ''}>{s}</option>" for s in SEVERITIES) +
      "</select></label> <label>check <select id=\"f-check\"><option value=\"\">all</option>" +
      "".join(f"<option value=\"{i}\">{esc(c)}</option>" for i, c in enumerate(checks)) +
      "</select></label> ")
    if roles:
        w("<label>role <select id=\"f-role\"><option value=\"\">all</option>" +
          "".join(f"<option value=\"{i}\">{esc(r)}</option>" for i, r in enumerate(roles)) +
          "</select></label> ")
    w("<label>path <input id=\"f-path\" type=\"search\" placeholder=\"part of a path\"></label> "
      f"<output id=\"f-count\">{len(findings)} of {len(findings)} shown</output></form>\n")
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        groups.setdefault(str(f.get("id", "")), []).append(f)

    def group_key(rid: str) -> tuple[int, int, str]:
        fs = groups[rid]
        return (-max(_RANK[_sev(f)] for f in fs), -len(fs), rid)

    for rid in sorted(groups, key=group_key):
        fs = sorted(groups[rid], key=lambda f: (-_RANK[_sev(f)], str(f.get("path")), f.get("line") or 0))
        worst = _sev(fs[0])
        slug = esc(fs[0].get("slug", ""))
        hints = {str(f.get("hint", "")) for f in fs}
        shared = hints.pop() if len(hints) == 1 else None  # one fix for the whole group: said once
        w(f"<details class=\"rule\" data-rule=\"{esc(rid)}\"{' open' if _RANK[worst] >= 3 else ''}>"
          f"<summary><span class=\"dot sev-{worst}\">{worst}</span> <b>{esc(rid)}</b> {slug} "
          f"<span class=\"count\" data-n=\"{len(fs)}\">{len(fs)}</span></summary>\n")
        if shared:
            w(f"<p class=\"fix\">Fix: {esc(shared)}</p>\n")
        w("<table class=\"findings\"><thead><tr><th>severity</th><th>location</th><th>message</th>" +
          ("" if shared is not None else "<th>fix</th>") + ("<th>role</th>" if roles else "") +
          "</tr></thead><tbody>\n")
        for f in fs:
            sev = _sev(f)
            loc = esc(f.get("path", "")) + (f":{int(f['line'])}" if isinstance(f.get("line"), int) else "")
            role = str(f.get("role") or "")
            rattr = f" data-r=\"{roles.index(role)}\"" if role in roles else ""
            w(f"<tr class=\"f\" data-s=\"{_RANK[sev]}\" data-c=\"{checks.index(_check_of(f))}\"{rattr}>"
              f"<td class=\"s{_RANK[sev]}\">{sev}</td><td class=\"loc\">{loc}</td>"
              f"<td>{esc(f.get('message', ''))}</td>" +
              ("" if shared is not None else f"<td>{esc(f.get('hint', ''))}</td>") +
              (f"<td>{esc(role)}</td>" if roles else "") + "</tr>\n")
        w("</tbody></table></details>\n")
    w("</section>\n")


_CSS = """\
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1280px;
padding:0 16px;color:#1b1b1b;background:#fff}
h1{font-size:22px;margin:16px 0 4px}
h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid #ddd}
code{font:12px ui-monospace,monospace}
.sha{color:#555;word-break:break-all}
.ver{color:#555}
.badges{list-style:none;padding:0;display:flex;gap:8px;flex-wrap:wrap}
.badges li{padding:4px 10px;border-radius:12px;color:#fff}
.sev-critical{background:#7b1fa2;fill:#7b1fa2;stroke:#7b1fa2}
.sev-high{background:#c62828;fill:#c62828;stroke:#c62828}
.sev-medium{background:#ef6c00;fill:#ef6c00;stroke:#ef6c00}
.sev-low{background:#f9a825;fill:#f9a825;stroke:#f9a825}
.sev-info{background:#1565c0;fill:#1565c0;stroke:#1565c0}
.sev-ok{background:#2e7d32;fill:#2e7d32;stroke:#2e7d32}
td.s4,td.s3,td.s2,td.s1,td.s0{color:#fff;text-align:center;font-size:12px;width:60px}
td.s4{background:#7b1fa2}
td.s3{background:#c62828}
td.s2{background:#ef6c00}
td.s1{background:#f9a825}
td.s0{background:#1565c0}
.dot{display:inline-block;min-width:56px;text-align:center;border-radius:10px;color:#fff;
font-size:12px;padding:0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top;
word-break:break-word}
th{background:#f6f6f6}
table.checks{width:auto}
caption{text-align:left;font-weight:600}
details{margin:6px 0}
summary{cursor:pointer;font-weight:600}
.count{color:#555;font-weight:400}
svg.map{max-width:100%;height:auto;border:1px solid #eee;background:#fcfcfc}
svg text{font:12px system-ui,sans-serif;fill:#fff}
svg text.col{fill:#1b1b1b;font-weight:600}
svg text.more{fill:#1565c0}
svg .box{stroke:none}
svg .edge{fill:none;stroke-width:1.5;opacity:.7}
.filters{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;
display:flex;gap:12px;flex-wrap:wrap;align-items:center}
.facts{color:#333}
.error{color:#c62828}
.empty{color:#555}
footer{margin:24px 0;color:#777;font-size:12px}
button.more{margin:4px 0}
[hidden]{display:none!important}
"""

_JS = """\
(function(){
"use strict";
var form=document.getElementById("filters");if(!form){return;}
form.hidden=false;
var rows=Array.prototype.slice.call(document.querySelectorAll("tr.f"));
var groups=Array.prototype.slice.call(document.querySelectorAll("details.rule"));
var PAGE=__PAGE__;var limit={};
function val(id){var e=document.getElementById(id);return e?e.value:"";}
var RANK={critical:4,high:3,medium:2,low:1,info:0};
function apply(){
 var sev=RANK[val("f-sev")]||0,check=val("f-check"),role=val("f-role"),path=val("f-path").toLowerCase();
 var shown=0;
 groups.forEach(function(g){
  var n=0,visible=0,trs=g.querySelectorAll("tr.f"),lim=limit[g.dataset.rule]||PAGE;
  for(var i=0;i<trs.length;i++){var r=trs[i];
   var ok=(+r.dataset.s)>=sev&&(!check||r.dataset.c===check)&&(!role||r.dataset.r===role)&&
     (!path||r.cells[1].textContent.toLowerCase().indexOf(path)>=0);
   if(ok){n++;}
   var vis=ok&&n<=lim;r.hidden=!vis;if(vis){visible++;}}
  shown+=n;g.hidden=(n===0);
  var c=g.querySelector("summary .count");c.textContent=n===(+c.dataset.n)?String(n):(n+" of "+c.dataset.n);
  var b=g.querySelector("button.more");
  if(n>visible){
   if(!b){b=document.createElement("button");b.type="button";b.className="more";
    b.addEventListener("click",function(){limit[g.dataset.rule]=(limit[g.dataset.rule]||PAGE)+PAGE*10;apply();});
    g.appendChild(b);}
   b.hidden=false;b.textContent="show "+Math.min(n-visible,PAGE*10)+" more of "+(n-visible);}
  else if(b){b.hidden=true;}
 });
 document.getElementById("f-count").textContent=shown+" of "+rows.length+" shown";
}
form.addEventListener("input",apply);form.addEventListener("change",apply);
form.addEventListener("submit",function(e){e.preventDefault();});
apply();
})();
"""
