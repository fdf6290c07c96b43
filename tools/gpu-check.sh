#!/usr/bin/env bash
# On a machine with a GPU: install, show the adapter mmfuse finds, run the WebGPU kernel
# conformance suite on it, and time paper-128 and paper-256 training steps on webgpu against wasm
# on the same machine. Prints one JSON line per benchmark row at the end.
#
#   bash tools/gpu-check.sh            (from a clone; needs Node ≥ 20 and npm's registry)
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

echo "== install and build" >&2
npm ci --no-audit --no-fund >/dev/null
npm run build --silent >/dev/null

echo "== doctor" >&2
node packages/cli/bin/mmfuse.js doctor --backend webgpu

echo "== webgpu conformance on this adapter" >&2
(cd packages/backend && npx jest src/kernels/webgpu-conformance.spec.ts 2>&1 | tail -5)

echo "== training steps, webgpu against wasm" >&2
rows=$(mktemp)
for workload in paper-128 paper-256; do
  for backend in webgpu wasm; do
    node tools/bench.mjs --workload "$workload" --fusion concat --backend "$backend" --steps 5 --no-torch --json >> "$rows" || echo "{\"workload\":\"$workload\",\"backend\":\"$backend\",\"error\":\"failed\"}" >> "$rows"
  done
done
# bench --json prints one JSON line per row.
cat "$rows"
