#!/usr/bin/env bash
# Known vulnerabilities in every package of the solution, direct and transitive (NuGet's audit data from the feed).
# Exit 1 on a high or critical advisory; exit 0 (and say so) when the feed cannot be reached, so offline CI still runs.
# Usage: scripts/vulnerable-packages.sh [solution-or-project] [extra dotnet-list arguments, e.g. --source URL]
set -uo pipefail
cd "$(dirname "$0")/.."
target="${1:-Maximus.sln}"; shift || true
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if ! dotnet list "$target" package --vulnerable --include-transitive --format json "$@" >"$out" 2>"$err"; then
    if grep -qiE "Unable to load the service index|Connection refused|Name or service not known|timed out|NuGet requires HTTPS" "$out" "$err"; then
        echo "vulnerable packages: the NuGet feed could not be reached, so the advisory check was skipped:"
        cat "$err" "$out" | grep -i "error" | sed 's/^/  /' | head -5
        exit 0
    fi
    echo "vulnerable packages: dotnet list package failed:"; cat "$err" "$out" | head -20
    exit 1
fi
python3 - "$out" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
found = []
for project in report.get("projects", []):
    for framework in project.get("frameworks", []):
        for kind in ("topLevelPackages", "transitivePackages"):
            for package in framework.get(kind, []):
                for advisory in package.get("vulnerabilities", []):
                    found.append((advisory.get("severity", "?"), package["id"], package.get("resolvedVersion", "?"),
                                  advisory.get("advisoryurl", ""), project["path"].split("/")[-1]))
blocking = [f for f in found if f[0].lower() in ("high", "critical")]
for severity, package, version, url, project in sorted(set(found)):
    print(f"  {severity:8} {package} {version} ({project}) {url}")
print(f"vulnerable packages: {len(set(found))} advisories, {len(set(blocking))} high or critical")
sys.exit(1 if blocking else 0)
PY
