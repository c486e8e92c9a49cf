#!/usr/bin/env bash
# Installs the Debian packages checkpost needs, only those missing, quietly.
# Runs apt-get update only when something is missing. Stops with a clear
# message when it cannot install (not root, no apt-get).
set -euo pipefail

# One package per line: what needs it.
packages=(
  libopencv-dev        # gocv: image processing (MRZ locator, document checks, fingerprints)
  libtesseract-dev     # gosseract: second-opinion OCR and printed fields
  libleptonica-dev     # gosseract's image library
  tesseract-ocr-eng    # Tesseract's English model (printed fields, baseline)
  fonts-ocr-b          # the OCR-B font: MRZ glyph rendering (simulator, classifier training)
  pkg-config           # cgo flags for OpenCV and Tesseract
  chromium             # headless browser for the review page's end-to-end tests
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing missing Debian packages: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "setup: not root and no password-less sudo; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! $SUDO apt-get update -qq >"$log" 2>&1 ||
   ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  echo "setup: apt-get failed; its output:" >&2
  tail -n 30 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo "setup: done" >&2
