#!/usr/bin/env bash
# Restores the local tools, builds the runbook library when its sources changed, and runs Cake with
# every argument given:  ./build.sh --target=Restore --confirm=stocks_research
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

library=.build/lib/StocksRebuild.dll
tools_stamp=.build/tools.restored
mkdir -p .build

# Both checks are timestamps so that a warm start costs no dotnet build (~3 s).
if [ ! -f "$tools_stamp" ] || [ .config/dotnet-tools.json -nt "$tools_stamp" ]; then
  dotnet tool restore >/dev/null
  touch "$tools_stamp"
fi

cake_extra=()
if [ ! -f "$library" ] || [ -n "$(find src sql \( -name bin -o -name obj \) -prune -o -type f -newer "$library" -print -quit)" ]; then
  dotnet build src/StocksRebuild/StocksRebuild.csproj --configuration Release --output .build/lib --nologo --verbosity quiet
  touch "$library"
  # The cached script was compiled against the previous library.
  cake_extra+=(--invalidate-script-cache)
fi

exec dotnet cake build.cake "$@" ${cake_extra[@]+"${cake_extra[@]}"}
