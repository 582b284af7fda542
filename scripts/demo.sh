#!/usr/bin/env bash
# The main job: install, build, train the municipios preset and print 20 invented names.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/charnn train --preset municipios --out runs/municipios
build/charnn sample --model runs/municipios/best.safetensors --items 20 --temperature 0.8 --seed 7
