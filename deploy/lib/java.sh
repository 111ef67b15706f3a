# Sourced by Corral's scripts: selects a JDK 25 and exports JAVA_HOME, or stops with one clear line.
corral_select_java() {
    local candidate
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/*-25-* /usr/lib/jvm/jdk-25*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
        if "$candidate/bin/java" -XshowSettings:properties -version 2>&1 | grep -qE '^\s*java\.specification\.version = 25$'; then
            export JAVA_HOME="$candidate"
            export PATH="$JAVA_HOME/bin:$PATH"
            return 0
        fi
    done
    echo "corral: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm); install Temurin 25 or set JAVA_HOME to a JDK 25" >&2
    exit 1
}
corral_select_java
