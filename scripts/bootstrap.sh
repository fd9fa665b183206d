#!/usr/bin/env bash
# Installs what the workstation, its tests and the training recipe need on Debian/Ubuntu, then the npm packages.
# Idempotent: packages already present are skipped. Usage: ./scripts/bootstrap.sh
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  chromium            # end-to-end tests and screenshots (Playwright drives /usr/bin/chromium)
  dcmtk               # dsrdump/dcmdump: validate exported DICOM SR and the demo DICOM studies
  dicom3tools         # dciodvfy: validates exported DICOM SR and Encapsulated PDF against the IODs
  libgdcm-tools       # gdcmconv: transcodes the 2k test and benchmark studies; its native decoders are the speed reference
  poppler-utils       # pdftotext: validate exported PDFs
  fonts-dejavu-core   # fonts for the renderer and PDF export
  python3-torch       # training recipe (Python is used for training and export only)
  python3-torchvision
  python3-onnx
  python3-numpy
  python3-pil
  libopenblas0-openmp # a fast BLAS for Debian's torch (it otherwise falls back to the reference BLAS)
  orthanc             # the PACS of the DICOMweb tests (npm run test:pacs; never the orthanc-gdcm plugin)
  orthanc-dicomweb    # its QIDO-RS / WADO-RS / STOW-RS plugin
  iproute2            # `ip link set lo up` inside the tests' loopback-only network namespace
  openssl             # the tests' throw-away CA for the custom-CA (TLS) path
)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bootstrap: installing ${missing[*]}"
  $sudo apt-get update -q
  # Orthanc's package would start a system Orthanc listening on every interface: the tests start their own, inside
  # a loopback-only namespace. A temporary policy-rc.d keeps apt from starting services (where none is set already).
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { [ -n "$policy" ] && $sudo rm -f "$policy"; exit 1; }
  [ -n "$policy" ] && $sudo rm -f "$policy"
fi

# Clean install from the lock file; allowScripts in package.json + strict-allow-scripts in .npmrc keep it prompt-free
# (electron's binary download and onnxruntime-node's CUDA download are skipped; see README).
npm ci --no-fund --no-audit
