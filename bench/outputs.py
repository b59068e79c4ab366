"""Time the outputs on the published warehouse (after `make run`): reports with PDFs, the public site with its
open data, partner packs; the site's size; and, where Chromium and axe-core are installed (`make test` installs
them), an axe-core WCAG 2.2 A/AA scan of every page of the built site.

    .venv/bin/python bench/outputs.py [--out /tmp/bdc-outputs]

Writes into a scratch folder (default: a temporary one), never over $BDC_OUTPUTS_DIR.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from outputs.partner_packs import build_partner_packs  # noqa: E402
from outputs.reports import build_reports, report_periods  # noqa: E402
from outputs.site import build_site  # noqa: E402
from tests import browser  # noqa: E402
from warehouse.settings import load_settings  # noqa: E402


def timed(label: str, results: dict, fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    results[label] = round(time.perf_counter() - started, 1)
    print(f"{label:<28}{results[label]:>8.1f} s", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    settings = load_settings()
    out = args.out or Path(tempfile.mkdtemp(prefix="bdc-outputs-"))
    seconds: dict[str, float] = {}
    periods = report_periods(settings.as_of)
    timed("reports (HTML only)", seconds, build_reports, settings.published_path, out / "html-only", periods,
          pdf=False)
    files = timed("reports (HTML and PDF)", seconds, build_reports, settings.published_path, out, periods)
    summary = timed("public site and open data", seconds, build_site, settings.published_path, out / "site",
                    settings.as_of)
    timed("partner packs", seconds, build_partner_packs, settings.published_path, out, settings.as_of)
    data = sum(p.stat().st_size for p in (out / "site" / "data").rglob("*") if p.is_file())
    result = {"seconds": seconds, "report_files": len(files), "site_pages": summary.pages,
              "site_files": summary.files, "site_megabytes": round(summary.bytes / 1e6, 1),
              "open_data_megabytes": round(data / 1e6, 1), "axe": None}
    print(f"site: {summary.pages} pages, {summary.files} files, {summary.bytes / 1e6:.1f} MB "
          f"(open data {data / 1e6:.1f} MB) in {summary.folder}")
    if reason := browser.missing():
        print(f"axe-core scan skipped: {reason}")
    else:
        result["axe"] = scan(out / "site")
        print(f"axe-core: {result['axe']['violations']} WCAG 2.2 A/AA violation(s) on {result['axe']['pages']} pages")
    print(json.dumps(result))
    return 0


def scan(site: Path) -> dict:
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    found: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as profile, browser.serve(site) as base, \
            browser.chromium(Path(profile)) as driver:
        for page in pages:
            driver.get(base + page)
            if violations := browser.axe_violations(driver):
                found[page] = [v["id"] for v in violations]
    for page, ids in found.items():
        print(f"  {page}: {', '.join(ids)}")
    return {"pages": len(pages), "violations": sum(len(v) for v in found.values())}


if __name__ == "__main__":
    sys.exit(main())
