#!/usr/bin/env bash
# Collect a weight ensemble as a Slurm job array: each array task trains a disjoint, seed-determined set of
# network blocks (`--shard i/n`); the shards merge exactly into the file one process would have written.
#
#   sbatch --array=0-15 docs/scale-out/slurm-collect.sh          # 16 shards of the paper-scale `under` run
#   # when all tasks are done (e.g. sbatch --dependency=afterok:<jobid> …):
#   dotnet "$FSI" run --from-ensembles shards/under-*.fsie --name paper-under --preset paper
#
# Every task uses the same --networks/--block/--seed/--created: only --shard differs. A task that is
# preempted or killed reruns with --resume and loses no finished block.
#SBATCH --job-name=fsi-collect
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=12:00:00
#SBATCH --output=shards/%x-%A_%a.log
set -euo pipefail

REPO=${REPO:-$PWD}
FSI=${FSI:-$REPO/src/FunctionSpace.Ising.Cli/bin/Release/net10.0/fsi.dll}   # dotnet build -c Release first
SCENARIO=${SCENARIO:-under}
NETWORKS=${NETWORKS:-20000}      # × 100 samples = 2,000,000 configurations (the study's under-para scale)
SAMPLES=${SAMPLES:-100}
BLOCK=${BLOCK:-128}
SEED=${SEED:-1}
SHARDS=${SLURM_ARRAY_TASK_COUNT:?run as a job array}
INDEX=${SLURM_ARRAY_TASK_ID:?run as a job array}

mkdir -p shards
dotnet "$FSI" collect --scenario "$SCENARIO" --networks "$NETWORKS" --samples "$SAMPLES" --block "$BLOCK" \
  --seed "$SEED" --created 0 --shard "$INDEX/$SHARDS" --out "shards/$SCENARIO-$INDEX.fsie" --resume --quiet \
  --threads "${SLURM_CPUS_PER_TASK:-2}"
