# Sourced by ./slim4j and ./run-tests: puts a JDK >= 25 first on PATH, or stops with one clear line.
# Order: $JAVA_HOME, then the Temurin 25 installed beside the system JDK, then any JDK >= 25 under /usr/lib/jvm.
slim4j_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}
slim4j_find_jdk() {
  local c major
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(slim4j_java_major "$c")
    if [ -n "$major" ] && [ "${major%%.*}" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}
if ! SLIM4J_JDK=$(slim4j_find_jdk); then
  echo "slim4j: needs a JDK 25 or newer (found none in JAVA_HOME or /usr/lib/jvm); install one, e.g. Temurin 25, and set JAVA_HOME to it" >&2
  exit 2
fi
export JAVA_HOME="$SLIM4J_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8 runs Guice/Guava, which touch sun.misc.Unsafe; JDK 25 warns about it on every build.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
