"""Vendor the GOV.UK Frontend stylesheet for the public site (run by `make vendor-govuk`, at build time only).

Downloads the pinned npm package with `npm pack`, checks it against the pinned integrity hash, and writes
outputs/static/govuk-frontend.min.css, which is committed: the site never fetches anything at run time.
Two changes are made, because a council site must not use GOV.UK's brand: the GDS Transport font (licensed for
GOV.UK services only) is removed in favour of Arial, and the crown crest image reference is dropped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "6.6.0"
# npm view govuk-frontend@6.6.0 dist.integrity
INTEGRITY = ("sha512-xctkWrQvLnvQt7fyjQ3MGX9S0wz0x0RQuLxCeoXF+s8EjGICG81/D"
             "YQGKN5qgO+0KVT12UAaRwUsGY6fulRcRg==")
TARGET = Path(__file__).resolve().parent.parent / "outputs" / "static"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"govuk-frontend@{VERSION}", "--silent"], cwd=tmp, check=True,
                       capture_output=True)
        tarball = Path(tmp) / f"govuk-frontend-{VERSION}.tgz"
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            print(f"govuk-frontend {VERSION}: integrity {digest} is not the pinned {INTEGRITY}", file=sys.stderr)
            return 1
        with tarfile.open(tarball) as tar:
            css = tar.extractfile("package/dist/govuk/govuk-frontend.min.css").read().decode()
            package = json.loads(tar.extractfile("package/package.json").read())
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("GDS Transport,", "").replace("font-family:GDS Transport", "font-family:arial,sans-serif")
    css = css.replace("url(/assets/images/govuk-crest.svg)", "none")
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
    header = (f"/* govuk-frontend {VERSION} (MIT licence, see govuk-frontend-LICENSE.txt), vendored by "
              "deploy/vendor_govuk_frontend.py: GDS Transport font and crown crest removed. */\n")
    TARGET.mkdir(parents=True, exist_ok=True)
    (TARGET / "govuk-frontend.min.css").write_text(header + css, encoding="utf-8")
    (TARGET / "govuk-frontend-LICENSE.txt").write_text(
        f"govuk-frontend {VERSION} is released under the {package['license']} licence by the Government Digital "
        "Service (Crown copyright): https://github.com/alphagov/govuk-frontend/blob/main/LICENSE.txt\n"
        "This project uses its compiled stylesheet without the GDS Transport font or the crown crest.\n",
        encoding="utf-8")
    print(f"wrote {TARGET / 'govuk-frontend.min.css'} ({len(css):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
