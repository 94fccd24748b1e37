#!/usr/bin/env bash
# Restores the local tools, builds the runbook library when its sources changed, and runs Cake with
# every argument given:  ./build.sh --target=Restore --confirm=stocks_research
set -euo pipefail
# Relative paths in flags (--backup=dir/x.dump) mean what they meant where the command was typed.
export STOCKSREBUILD_CALLER_DIR="$PWD"
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

library=.build/lib/StocksRebuild.dll
tools_stamp=.build/tools.restored
cake_path=.build/cake.path
mkdir -p .build

# Both checks are timestamps so that a warm start costs no dotnet build (~3 s).
if [ ! -f "$tools_stamp" ] || [ .config/dotnet-tools.json -nt "$tools_stamp" ]; then
  dotnet tool restore >/dev/null
  # Cake's own assembly for the newest runtime installed here. Run directly, the process this script execs
  # into is Cake itself: `dotnet cake` would put the .NET CLI in between, which ignores SIGINT and forwards
  # SIGTERM, so a signal to the process group would reach Cake twice and Ctrl-C to this pid not at all.
  version=$(sed -n '/"cake.tool"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' .config/dotnet-tools.json)
  runtime=$(dotnet --list-runtimes | sed -n 's/^Microsoft.NETCore.App \([0-9]*\)\..*/\1/p' | sort -n | tail -n 1)
  found=""
  for tfm in "${NUGET_PACKAGES:-$HOME/.nuget/packages}/cake.tool/$version/tools"/net*; do
    major=${tfm##*/net}; major=${major%%.*}
    if [ -f "$tfm/any/Cake.dll" ] && [ "$major" -le "$runtime" ]; then found="$tfm/any/Cake.dll"; fi
  done
  printf '%s\n' "$found" > "$cake_path"
  touch "$tools_stamp"
fi

cake_extra=()
if [ ! -f "$library" ] || [ -n "$(find src sql \( -name bin -o -name obj \) -prune -o -type f -newer "$library" -print -quit)" ]; then
  dotnet build src/StocksRebuild/StocksRebuild.csproj --configuration Release --output .build/lib --nologo --verbosity quiet
  touch "$library"
  # The cached script was compiled against the previous library.
  cake_extra+=(--invalidate-script-cache)
fi

# A shell without job control starts a background command with SIGINT ignored, bash cannot undo that, and
# .NET leaves an inherited ignored SIGINT ignored: `kill -INT` would do nothing. GNU env restores the default.
default_int=()
if env --default-signal=INT true 2>/dev/null; then default_int=(env --default-signal=INT); fi

cake=$(cat "$cake_path" 2>/dev/null || true)
if [ -n "$cake" ] && [ -f "$cake" ]; then
  exec ${default_int[@]+"${default_int[@]}"} dotnet "$cake" build.cake "$@" ${cake_extra[@]+"${cake_extra[@]}"}
fi
exec ${default_int[@]+"${default_int[@]}"} dotnet cake build.cake "$@" ${cake_extra[@]+"${cake_extra[@]}"}
