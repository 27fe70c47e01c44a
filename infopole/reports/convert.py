"""DOCX → PDF through LibreOffice headless: the PDF is exactly the DOCX the head could edit.

Each conversion gets its own throw-away LibreOffice profile: two conversions sharing the
default profile (the scheduler and someone pressing «Сформировать» in the dashboard) would
otherwise block each other or fail silently with exit code 0 and no file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 180
INSTALL_HINT = (
    "установите LibreOffice: bash scripts/reports-deps.sh / install LibreOffice: scripts/reports-deps.sh"
)


class ConversionError(RuntimeError):
    pass


def office_binary() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise ConversionError(f"LibreOffice не найден; {INSTALL_HINT}")


def to_pdf(document: Path, out_dir: Path | None = None) -> Path:
    """Convert ``document`` to a PDF next to it (or in ``out_dir``) and return its path."""
    out_dir = out_dir or document.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{document.stem}.pdf"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="infopole-lo-") as profile:
        command = [
            office_binary(),
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(out_dir),
            str(document),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise ConversionError(f"LibreOffice не уложился в {TIMEOUT_SECONDS} с: {document}") from error
    if done.returncode != 0 or not target.exists():
        raise ConversionError(
            f"LibreOffice не создал PDF из {document} (код {done.returncode}): {done.stderr.strip()[:500]}"
        )
    return target
