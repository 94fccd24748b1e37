#!/usr/bin/env bash
# The off-site copy's cost against plain rclone, same file, same remote, same machine: the upload as OffsiteCopy
# times its copy and proof (temporary name, rename, hash check) against `rclone copyto`, and the download as
# VerifyBackup --from-offsite times it (rclone cat into the private cache, sha256 as written) against `rclone copyto`
# back. Median of RUNS each; the ratios are the figures to read (the machine is noisy, the pairs run alternately).
#   build/offsite-timing.sh backups/full_YYYYMMDD_HHMM.dump REMOTE:PATH [RUNS]
set -euo pipefail
dump=$(realpath "$1"); remote=$2; runs=${3:-3}
cd "$(dirname "$0")/.."
name=$(basename "$dump")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# As the tool runs it: rclone 1.60's S3 client cannot load AWS_CA_BUNDLE.
plain() { env -u AWS_CA_BUNDLE ${AWS_CA_BUNDLE:+RCLONE_CA_CERT=$AWS_CA_BUNDLE} rclone "$@"; }
seconds() { local start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; echo "$EPOCHREALTIME - $start" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_id=$(date +%s)
for i in $(seq 1 "$runs"); do
  seconds plain copyto "$dump" "$remote/timing-$run_id-plain-$i/$name" >>"$work/plain-up"
  ./build.sh --target=OffsiteCopy --backup="$dump" --offsite="$remote/timing-$run_id-ours-$i" --progress=off >"$work/up.log" 2>&1
  sed -n 's/.*Off-site: .* verified (.*) in \([0-9.]*\)s\..*/\1/p' "$work/up.log" >>"$work/ours-up"
  seconds plain copyto "$remote/timing-$run_id-plain-$i/$name" "$work/$name" >>"$work/plain-down"; rm -f "$work/$name"
  ./build.sh --target=VerifyBackup --offsite="$remote/timing-$run_id-ours-$i" --from-offsite --backup-dir="$work/cache-$i" \
    --progress=off >"$work/down.log" 2>&1
  sed -n 's/.*VerifyBackup: downloaded .* in \([0-9.]*\)s.*/\1/p' "$work/down.log" >>"$work/ours-down"; rm -rf "$work/cache-$i"
  plain purge "$remote/timing-$run_id-plain-$i" >/dev/null 2>&1 || true
  plain purge "$remote/timing-$run_id-ours-$i" >/dev/null 2>&1 || true
done
for way in up down; do
  p=$(median <"$work/plain-$way"); o=$(median <"$work/ours-$way")
  printf '%-9s %s bytes: plain rclone copyto %.2fs, StocksRebuild %.2fs: %.2fx (median of %d)\n' \
    "$([ $way = up ] && echo upload || echo download)" "$(stat -c %s "$dump")" "$p" "$o" "$(echo "$o / $p" | bc -l)" "$runs"
done
