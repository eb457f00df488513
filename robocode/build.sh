#!/usr/bin/env sh
# Compile the robots and the model reader against the installed Robocode jar.
# Usage: robocode/build.sh [OUTDIR]   (default: robocode/build/classes)
# ROBOCODE_JAR overrides the jar (Debian: /usr/share/java/robocode.jar).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jar=${ROBOCODE_JAR:-/usr/share/java/robocode.jar}
out=${1:-$here/build/classes}
if [ ! -f "$jar" ]; then
    echo "Robocode jar not found at $jar: apt-get install robocode (or set ROBOCODE_JAR)" >&2
    exit 1
fi
mkdir -p "$out"
javac -nowarn --release 11 -encoding UTF-8 -cp "$jar" -d "$out" "$here"/src/skk/*.java
echo "$out"
