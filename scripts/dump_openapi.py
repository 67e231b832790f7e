"""Write the API's OpenAPI document to a file without a server or a store: the console's build
generates its TypeScript types from it (openapi-typescript), so an API change that breaks the
console fails ``npm run build``.

    python scripts/dump_openapi.py console/src/api/openapi.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import create_app


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: dump_openapi.py OUT.json", file=sys.stderr)
        return 2
    doc = create_app(console_dir=Path("/nonexistent")).openapi()  # the schema needs no lifespan
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if not out.exists() or out.read_text(encoding="utf-8") != text:  # unchanged: keep the mtime
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
