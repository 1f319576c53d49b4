"""The self-contained HTML report: what `mlwarden scan --html` and `mlwarden report --html` write, checked as
bytes and as a person sees it in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mlwarden.cli import main
from mlwarden.formats.html import render_document
from tests.report.conftest import (
    HOSTILE_MODEL,
    artifacts_dir,
    example_project,
    hostile_project,
    large_project,
    load_json,
    scan,
)

SEV_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def scan_with_html(project: Path) -> tuple[Path, dict[str, Any]]:
    proc = scan(project, "--html", "out/report.html", "--json", "out/report.json", "--sarif", "out/r.sarif")
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return project / "out" / "report.html", load_json(project / "out" / "report.json")


# ------------------------------------------------------------------------------------------ as bytes

def test_example_report_is_self_contained_and_matches_the_json(tmp_path: Path) -> None:
    html, doc = scan_with_html(example_project(tmp_path))
    text = html.read_text(encoding="utf-8")
    smap = doc["meta"]["map"]
    layers = {n["layer"] for n in smap["nodes"]}
    assert {"libraries", "models", "code", "datasets"} <= layers
    # the loader edge from the training script to the pickled checkpoint it torch.loads
    assert any(e["from"] == "code:src/train.py" and e["to"] == "file:models/checkpoint.pt" for e in smap["edges"])
    # no way to reach the network: no external resource, and a CSP that allows no request
    assert "default-src 'none'" in text
    assert not re.search(r"<(link|img|iframe|object|embed)\b", text)
    assert not re.search(r"\b(src|href)=\"(https?:)?//", text)
    assert "@import" not in text and "url(" not in text
    # every finding and every node of the JSON is a row of the HTML
    assert text.count('<tr class="f"') == len(doc["findings"]) > 0
    assert text.count('<tr class="node"') == len(smap["nodes"])
    # the report links the SARIF and JSON written in the same run, relative to itself
    assert 'href="r.sarif"' in text and 'href="report.json"' in text


def test_same_input_same_bytes_and_report_command_redraws_it(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    project = example_project(tmp_path)
    html, _ = scan_with_html(project)
    first = html.read_bytes()
    html2, _ = scan_with_html(project)
    assert html2.read_bytes() == first
    monkeypatch.chdir(project)
    assert main(["report", "--from", "out/report.json", "--html", "out/again.html"]) == 0
    assert (project / "out" / "again.html").read_bytes() == first


def test_report_command_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[" * 100000, encoding="utf-8")
    assert main(["report", "--from", str(bad), "--html", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.json" in err and "Traceback" not in err
    assert main(["report", "--from", str(tmp_path / "missing.json"), "--html", "x.html"]) == 2
    assert main(["report", "--html", "x.html"]) == 2  # --from is required
    assert not (tmp_path / "x.html").exists()


def test_a_saved_report_without_a_map_still_renders_its_findings() -> None:
    doc = {"tool": "mlwarden", "version": "0", "findings": [
        {"id": "MLW301", "slug": "unpinned", "severity": "high", "path": "requirements.txt", "line": 1,
         "message": "torch has no version", "hint": "pin it"}]}
    text = render_document(doc)
    assert "This report has no map" in text and text.count('<tr class="f"') == 1


def test_header_says_what_baseline_and_suppressions_hid(tmp_path: Path) -> None:
    project = example_project(tmp_path)
    (project / "src" / "extra.py").write_text("import pickle\nobj = pickle.load(open('x.pkl', 'rb'))"
                                              "  # mlwarden: ignore[MLW103]\n", encoding="utf-8")
    import subprocess
    import sys
    rec = subprocess.run([sys.executable, "-m", "mlwarden", "baseline", "--skip", "audit-deps"], cwd=project,
                         capture_output=True, text=True, check=False)
    assert rec.returncode == 0, rec.stderr
    (project / "requirements.txt").write_text((project / "requirements.txt").read_text() + "flask\n")
    proc = scan(project, "--skip", "audit-deps", "--baseline", ".mlwarden-baseline.json", "--html",
                "out/report.html", "--json", "out/report.json")
    assert proc.returncode in (0, 1), proc.stderr
    doc = load_json(project / "out" / "report.json")
    stats = doc["stats"]
    assert stats["baseline"]["baselined"] > 0 and stats["suppressed"] >= 1
    text = (project / "out" / "report.html").read_text(encoding="utf-8")
    assert f"{stats['baseline']['baselined']} baselined" in text
    assert f"{stats['suppressed']} suppressed" in text
    assert any("flask" in f["message"] for f in doc["findings"])  # the new line is reported


def test_map_shows_what_the_lock_says(tmp_path: Path) -> None:
    import subprocess
    import sys

    project = example_project(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "mlwarden", "lock", "--allow-flagged"], cwd=project,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    (project / "models" / "label_encoder.pkl").write_bytes(
        (project / "models" / "label_encoder.pkl").read_bytes() + b"\x00")  # changed after it was locked
    html, doc = scan_with_html(project)
    files = {n["path"]: n for n in doc["meta"]["map"]["nodes"] if n.get("source") == "file"}
    assert files["models/checkpoint.pt"]["lock"] == "locked"
    assert files["models/label_encoder.pkl"]["lock"] == "changed since locked"
    hub = [n for n in doc["meta"]["map"]["nodes"] if n.get("source") == "huggingface"]
    assert hub and all(n["lock"] == "not in mlwarden.lock" for n in hub)
    text = html.read_text(encoding="utf-8")
    assert "lock: changed since locked" in text and "lock: locked" in text


def test_map_has_the_urls_code_downloads(tmp_path: Path) -> None:
    project = example_project(tmp_path)
    (project / "src" / "fetch.py").write_text(
        "import urllib.request\n"
        "import torch\n"
        "urllib.request.urlretrieve('http://data.example.org/corpus.zip', 'corpus.zip')\n"
        "torch.hub.download_url_to_file('https://models.example.org/resnet.pth', 'resnet.pth')\n"
        "state = torch.load('resnet.pth', weights_only=True)\n", encoding="utf-8")
    html, doc = scan_with_html(project)
    smap = doc["meta"]["map"]
    urls = {n["name"]: n for n in smap["nodes"] if n.get("source") == "url"}
    assert urls["http://data.example.org/corpus.zip"]["layer"] == "datasets"
    assert urls["http://data.example.org/corpus.zip"]["secure"] is False
    assert urls["https://models.example.org/resnet.pth"]["layer"] == "models"
    edges = {(e["from"], e["to"]) for e in smap["edges"]}
    assert ("code:src/fetch.py", "url:http://data.example.org/corpus.zip") in edges
    assert "download over plain http" in html.read_text(encoding="utf-8")


def test_map_has_the_build_pipeline(tmp_path: Path) -> None:
    project = example_project(tmp_path)
    wf = project / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(
        "on: pull_request\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        f"      - uses: someone/tool@{'b' * 40}\n", encoding="utf-8")
    (project / "Dockerfile").write_text("FROM python:3.11-slim\n", encoding="utf-8")
    html, doc = scan_with_html(project)
    pipeline = {n["name"]: n for n in doc["meta"]["map"]["nodes"] if n["layer"] == "pipeline"}
    assert pipeline["actions/checkout"]["pinned"] is False
    assert pipeline["someone/tool"]["pinned"] is True
    assert "python" in pipeline
    text = html.read_text(encoding="utf-8")
    assert "Build pipeline <span class=\"count\">3</span>" in text and "mutable tag" in text


def test_scanned_strings_are_text_never_markup(tmp_path: Path) -> None:
    html, doc = scan_with_html(hostile_project(tmp_path))
    text = html.read_text(encoding="utf-8")
    paths = {f["path"] for f in doc["findings"]}
    assert any(HOSTILE_MODEL in p for p in paths)  # the hostile file really was reported
    assert "<img src=x" not in text and "<script>window" not in text and "<b>bold</b>" not in text
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;.pkl" in text
    assert "\u202e" not in text  # bidi controls are shown escaped, never applied
    assert text.count("<script>") == 1  # ours, at the end


def test_large_report_stays_small(tmp_path: Path) -> None:
    html, doc = scan_with_html(large_project(tmp_path))
    assert len(doc["findings"]) >= 2000
    size = html.stat().st_size
    assert size < 5 * 1024 * 1024, size
    text = html.read_text(encoding="utf-8")
    assert text.count('<tr class="f"') == len(doc["findings"])


# --------------------------------------------------------------------------- as a person sees it

def open_report(browser: Any, html: Path) -> tuple[Any, list[str], list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    return page, requests, errors, dialogs


def visible_rows(page: Any) -> int:
    n: int = page.evaluate("Array.from(document.querySelectorAll('tr.f')).filter("
                           "r => r.offsetParent !== null || r.closest('details:not([open])')).length")
    return n


def test_browser_counts_filters_and_no_requests(browser: Any, tmp_path: Path) -> None:
    html, doc = scan_with_html(example_project(tmp_path))
    page, requests, errors, dialogs = open_report(browser, html)
    findings = doc["findings"]
    nodes = doc["meta"]["map"]["nodes"]
    assert page.locator("tr.f").count() == len(findings)
    assert page.locator("tr.node").count() == len(nodes)
    assert page.locator("#f-count").inner_text() == f"{len(findings)} of {len(findings)} shown"
    # the severity filter hides what is below it
    page.select_option("#f-sev", "high")
    high = sum(1 for f in findings if SEV_RANK[f["severity"]] >= 3)
    assert page.locator("tr.f:not([hidden])").count() == high
    assert page.locator("#f-count").inner_text() == f"{high} of {len(findings)} shown"
    # the check filter
    page.select_option("#f-sev", "info")
    page.select_option("#f-check", "scan-models")
    models = sum(1 for f in findings if f["id"].startswith("MLW5"))
    assert page.locator("tr.f:not([hidden])").count() == models > 0
    # the path filter
    page.select_option("#f-check", "")
    page.fill("#f-path", "requirements")
    reqs = sum(1 for f in findings if "requirements" in f["path"])
    assert page.locator("tr.f:not([hidden])").count() == reqs > 0
    # the map is drawn: one SVG box per node (up to the per-layer cap) and the loader edges
    assert page.locator("svg.map rect.box").count() == len(nodes)
    assert page.locator("svg.map path.edge").count() == len(doc["meta"]["map"]["edges"])
    page.screenshot(path=str(artifacts_dir(tmp_path) / "html-report-example.png"), full_page=True)
    assert errors == [] and dialogs == []
    assert requests == [html.as_uri()]  # nothing but the page itself
    page.close()


def test_browser_hostile_names_stay_text(browser: Any, tmp_path: Path) -> None:
    html, _ = scan_with_html(hostile_project(tmp_path))
    page, requests, errors, dialogs = open_report(browser, html)
    assert page.evaluate("window.__pwned === undefined")
    assert page.get_by_text(HOSTILE_MODEL, exact=False).count() > 0
    assert page.locator("img, iframe, object, embed").count() == 0
    assert page.locator("script").count() == 1
    page.screenshot(path=str(artifacts_dir(tmp_path) / "html-report-hostile.png"), full_page=False)
    assert errors == [] and dialogs == [] and requests == [html.as_uri()]
    page.close()


def test_browser_large_report_paginates(browser: Any, tmp_path: Path) -> None:
    html, doc = scan_with_html(large_project(tmp_path))
    page, requests, errors, _ = open_report(browser, html)
    total = len(doc["findings"])
    assert page.locator("#f-count").inner_text() == f"{total} of {total} shown"
    # groups show a page of rows at a time, with a button for the rest
    biggest = page.locator("details.rule").first
    biggest.evaluate("d => d.open = true")
    shown = biggest.locator("tr.f:not([hidden])").count()
    assert shown == 100
    biggest.locator("button.more").click()
    assert biggest.locator("tr.f:not([hidden])").count() > shown
    assert errors == [] and requests == [html.as_uri()]
    page.close()


def test_without_javascript_every_row_is_in_the_page(browser: Any, tmp_path: Path) -> None:
    html, doc = scan_with_html(example_project(tmp_path))
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(html.as_uri())
    assert page.locator("tr.f").count() == len(doc["findings"])
    assert page.locator("#filters").is_hidden()  # the filter form needs the script: hidden without it
    open_rows = page.locator("details[open] tr.f").count()
    assert open_rows > 0
    ctx.close()
