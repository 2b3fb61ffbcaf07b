"""Regenerate docs/payslip-sample.png: the sample payslip as a person sees it.

Run from the repository root: ``.venv/bin/python docs/make_sample.py [--lang en]``.
Renders the sample employee (ZhangSan 张三) with the default templates and turns the
page into a PNG with ``pdftoppm -png -r 80 -singlefile`` (poppler-utils).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.payslip.pdf import render_pdf  # noqa: E402
from engine.payslip.sample import context, zhangsan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--out", type=Path, default=None, help="PNG path (without .png is fine)")
    args = parser.parse_args()
    suffix = "" if args.lang == "zh" else f"-{args.lang}"
    out = args.out or ROOT / "docs" / f"payslip-sample{suffix}.png"
    pdf = render_pdf(zhangsan(), context(lang=args.lang))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.pdf"
        path.write_bytes(pdf)
        stem = out.with_suffix("")
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(path), str(stem)],
                       check=True)
    print(f"wrote {stem.with_suffix('.png')}")


if __name__ == "__main__":
    main()
