#!/usr/bin/env bash
# Collect on one machine with several independent processes, then continue the pipeline from the shards.
#
#   bash docs/scale-out/local-shards.sh            # 4 processes, quick scale
#   SHARDS=8 NETWORKS=2048 bash docs/scale-out/local-shards.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARDS=${SHARDS:-4}
SCENARIO=${SCENARIO:-under}
NETWORKS=${NETWORKS:-64}
SAMPLES=${SAMPLES:-100}
BLOCK=${BLOCK:-16}
EPOCHS=${EPOCHS:-20}
SEED=${SEED:-1}
OUT=${OUT:-models/shards}

dotnet build -c Release src/FunctionSpace.Ising.Cli -v quiet
FSI=src/FunctionSpace.Ising.Cli/bin/Release/net10.0/fsi.dll
mkdir -p "$OUT"
pids=()
for ((i = 0; i < SHARDS; i++)); do
  dotnet "$FSI" collect --scenario "$SCENARIO" --networks "$NETWORKS" --samples "$SAMPLES" --block "$BLOCK" --epochs "$EPOCHS" \
    --seed "$SEED" --created 0 --shard "$i/$SHARDS" --out "$OUT/$SCENARIO-$i.fsie" --resume --quiet --threads 1 \
    > "$OUT/$SCENARIO-$i.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "shards done: $(ls "$OUT"/$SCENARIO-*.fsie | wc -l) files"

# Either merge explicitly …
dotnet "$FSI" ensemble merge "$OUT"/$SCENARIO-*.fsie --out "$OUT/$SCENARIO.fsie"
dotnet "$FSI" ensemble info "$OUT/$SCENARIO.fsie"
# … or let the pipeline merge them and go on with moments, fits, landscapes and the report:
dotnet "$FSI" run --from-ensembles "$OUT"/$SCENARIO-*.fsie --name "shards-$SCENARIO"
