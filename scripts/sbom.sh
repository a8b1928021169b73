#!/usr/bin/env bash
# The bill of materials of the host image (services/Maximus.Host): every NuGet package it ships, direct and transitive,
# with its resolved version, as CSV on standard output (or to the file given). It reads what `dotnet restore` resolved
# (dotnet list package --include-transitive); for a CycloneDX document use the CycloneDX dotnet tool instead
# (dotnet tool install --global CycloneDX; dotnet-CycloneDX services/Maximus.Host/Maximus.Host.csproj -o sbom).
set -euo pipefail
cd "$(dirname "$0")/.."
project="${MAXIMUS_SBOM_PROJECT:-services/Maximus.Host/Maximus.Host.csproj}"
json=$(mktemp); trap 'rm -f "$json"' EXIT
dotnet list "$project" package --include-transitive --format json >"$json"
python3 - "$json" "${1:-/dev/stdout}" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
rows = set()
for project in report.get("projects", []):
    for framework in project.get("frameworks", []):
        for kind, label in (("topLevelPackages", "direct"), ("transitivePackages", "transitive")):
            for package in framework.get(kind, []):
                rows.add((package["id"], package["resolvedVersion"], label, framework["framework"]))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("package,version,dependency,framework\n")
    for row in sorted(rows, key=lambda r: r[0].lower()):
        out.write(",".join(row) + "\n")
PY
