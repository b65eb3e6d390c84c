#!/usr/bin/env bash
# Builds and runs the JMH kernel benchmarks (profile jmh): scripts/jmh.sh [JMH args, e.g. KernelBench -p type=Q4_0]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/jdk.sh"
cd "$ROOT/slim4j-core"
mvn -B -q -ntp -Pjmh -DskipTests package >&2
mvn -B -q -ntp -Pjmh dependency:build-classpath -Dmdep.outputFile=target/jmh.cp >&2
exec java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "target/classes:$(cat target/jmh.cp)" org.openjdk.jmh.Main "$@"
