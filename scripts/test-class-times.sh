#!/usr/bin/env bash
# Writes web/src/test/class-times/.surefire-nightshift from the surefire reports of the last test
# run (web/target/surefire-reports: every module's tests run in the web module's test JVMs, see
# nightshift.testsInOnePool in the root pom): one line per test class, "1,<milliseconds>,<class>".
# Surefire (runOrder balanced) starts the slowest classes first from it, so that no test JVM is
# left alone with a long class at the end. Run it after `mvn -B clean verify` when classes were added or
# their durations changed much, and commit the files.
set -euo pipefail
cd "$(dirname "$0")/.."
for module in web; do
  reports="$module/target/surefire-reports"
  # After `mvn clean verify`: reports an earlier run left (a class renamed since) would count too.
  if ! compgen -G "$reports/TEST-*.xml" > /dev/null; then
    echo "test-class-times: no reports in $reports: run \`mvn clean verify\` first" >&2
    exit 1
  fi
  mkdir -p "$module/src/test/class-times"
  out="$module/src/test/class-times/.surefire-nightshift"
  for report in "$reports"/TEST-*.xml; do
    sed -n 's/.*<testsuite [^>]*name="\([^"]*\)" time="\([0-9.,]*\)".*/\2 \1/p' "$report" | head -n 1
  done | tr -d ',' | awk '{ printf "1,%d,%s\n", $1 * 1000, $2 }' | sort -t, -k2,2nr > "$out"
  echo "test-class-times: $out: $(wc -l < "$out") classes"
done
