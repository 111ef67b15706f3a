# Sourced by Corral's scripts: selects a JDK 25 and exports JAVA_HOME, or stops with one clear line.
corral_select_java() {
    local candidate
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/*-25-* /usr/lib/jvm/jdk-25*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
        # The JDK's release file names its version without starting a JVM (the CLI launcher starts often).
        if grep -qE '^JAVA_VERSION="25([."]|$)' "$candidate/release" 2>/dev/null; then
            export JAVA_HOME="$candidate"
            export PATH="$JAVA_HOME/bin:$PATH"
            return 0
        fi
    done
    echo "corral: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm); install Temurin 25 or set JAVA_HOME to a JDK 25" >&2
    exit 1
}
corral_select_java
