#!/usr/bin/env bash
# Программы для отчётов / what the reports need outside Python: LibreOffice Writer (DOCX → PDF),
# poppler-utils (pdftotext, pdffonts, pdftoppm for the report tests) and fonts with Cyrillic
# (Liberation: metric-compatible Times New Roman; DejaVu). Debian/Ubuntu; safe to run again.
set -euo pipefail

missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
fc-list 2>/dev/null | grep -q "LiberationSerif" || missing+=(fonts-liberation)
fc-list 2>/dev/null | grep -q "DejaVuSans" || missing+=(fonts-dejavu)
if [ ${#missing[@]} -eq 0 ]; then
    echo "Программы для отчётов уже установлены / report tools present"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Устанавливаю / installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}"
