#!/usr/bin/env bash
# What a step's process costs before it runs anything (README "Performance", (b)): CPU per spawn of
# `sh -c 'echo hi'` from a JVM, alone and behind setsid, with the JDK's default launch mechanism
# (posix_spawn through jspawnhelper) and with vfork. Argument: spawns per variant (1500).
set -euo pipefail
cd "$(dirname "$0")"
for mechanism in POSIX_SPAWN VFORK; do
  java -Djdk.lang.Process.launchMechanism="$mechanism" SpawnCosts.java "${1:-1500}"
done
