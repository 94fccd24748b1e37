#!/usr/bin/env pwsh
# Restores the local tools, builds the runbook library when its sources changed, and runs Cake with
# every argument given:  ./build.ps1 --target=Restore --confirm=stocks_research   (the same as build.sh)
$ErrorActionPreference = 'Stop'
# Relative paths in flags mean what they meant where the command was typed.
$env:STOCKSREBUILD_CALLER_DIR = (Get-Location).Path
Set-Location -LiteralPath $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'; $env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$library = '.build/lib/StocksRebuild.dll'
$toolsStamp = '.build/tools.restored'
New-Item -ItemType Directory -Force -Path '.build' | Out-Null

function Test-Newer([string] $path, [string] $than) {
    (-not (Test-Path $than)) -or ((Get-Item $path).LastWriteTimeUtc -gt (Get-Item $than).LastWriteTimeUtc)
}

if (Test-Newer '.config/dotnet-tools.json' $toolsStamp) {
    dotnet tool restore | Out-Null
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    New-Item -ItemType File -Force -Path $toolsStamp | Out-Null
}

$cakeExtra = @()
$sources = Get-ChildItem -Recurse -File -Path 'src', 'sql' | Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
if (-not (Test-Path $library) -or ($sources | Where-Object { $_.LastWriteTimeUtc -gt (Get-Item $library).LastWriteTimeUtc })) {
    dotnet build src/StocksRebuild/StocksRebuild.csproj --configuration Release --output .build/lib --nologo --verbosity quiet
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    (Get-Item $library).LastWriteTimeUtc = [DateTime]::UtcNow
    # The cached script was compiled against the previous library.
    $cakeExtra += '--invalidate-script-cache'
}

dotnet cake build.cake @args @cakeExtra
exit $LASTEXITCODE
