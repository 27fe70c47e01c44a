#!/usr/bin/env bash
# Локальный одноузловой Elasticsearch для тестов и разработки / a local single-node Elasticsearch.
#
#   scripts/elasticsearch.sh start|stop|status|url
#
# Fetches the integ-test-zip distribution (no bundled JDK, no analysis-common) from Maven Central,
# checks the published checksums, and runs it on 127.0.0.1 without security. Under root the node runs
# as an unprivileged system user, because Elasticsearch refuses to run as root.
#
# Environment (all optional):
#   ES_VERSION         exact version; default: the newest 8.19.x listed in maven-metadata.xml
#   ES_PORT            HTTP port (9200)
#   ES_CACHE_DIR       where downloaded zips are kept (${XDG_CACHE_HOME:-$HOME/.cache}/infopole/elasticsearch)
#   ES_HOME_DIR        run dir: unpacked distribution, data, logs, pid file (/tmp/infopole-elasticsearch-<user>-<port>)
#   ES_JAVA_HOME       JDK to use; default: the newest JDK found whose major version is within
#                      ES_JAVA_MIN..ES_JAVA_MAX (17..25), then JAVA_HOME, /usr/lib/jvm, /opt, `java` on PATH
#   ES_JAVA_OPTS       JVM options ("-Xms512m -Xmx512m")
#   ES_USER            system user that runs the node when started by root (infopole)
#   ES_START_TIMEOUT   seconds to wait for a yellow cluster (180)
#   ES_MAVEN_URL       Maven repository base (https://repo1.maven.org/maven2)
set -euo pipefail

ES_PORT=${ES_PORT:-9200}
ES_CACHE_DIR=${ES_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/infopole/elasticsearch}
ES_HOME_DIR=${ES_HOME_DIR:-${TMPDIR:-/tmp}/infopole-elasticsearch-$(id -un)-${ES_PORT}}
ES_JAVA_OPTS=${ES_JAVA_OPTS:--Xms512m -Xmx512m}
ES_USER=${ES_USER:-infopole}
ES_START_TIMEOUT=${ES_START_TIMEOUT:-180}
ES_JAVA_MIN=${ES_JAVA_MIN:-17}
ES_JAVA_MAX=${ES_JAVA_MAX:-25}
ES_MAVEN_URL=${ES_MAVEN_URL:-https://repo1.maven.org/maven2}
ARTIFACT_URL="${ES_MAVEN_URL%/}/org/elasticsearch/distribution/integ-test-zip/elasticsearch"

URL="http://127.0.0.1:${ES_PORT}"
PID_FILE="$ES_HOME_DIR/elasticsearch.pid"
LOG_DIR="$ES_HOME_DIR/logs"
CLUSTER_NAME=infopole-test

say() { echo "elasticsearch.sh: $*" >&2; }
die() {
    say "ОШИБКА / ERROR: $*"
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

python_bin() {
    local candidate
    for candidate in python3 python3.11 python; do
        if command -v "$candidate" >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# download URL FILE: curl, wget or Python, whichever exists on the machine.
download() {
    local url=$1 out=$2 py
    if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 -o "$out" "$url"
    elif command -v wget >/dev/null 2>&1; then
        wget --quiet --tries=3 --timeout=20 -O "$out" "$url"
    elif py=$(python_bin); then
        "$py" -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$url" "$out"
    else
        die "нет ни curl, ни wget, ни python3 / need curl, wget or python3 to download $url"
    fi
}

running_pid() {
    local pid
    [ -s "$PID_FILE" ] || return 1
    pid=$(cat "$PID_FILE")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid must belong to a Java process to count as our node.
    grep -qa 'org.elasticsearch' "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

# Any HTTP answer means the port is taken (this distribution has no `GET /`: it lacks rest-root).
answers() { curl --silent --output /dev/null --max-time 5 "$URL/" 2>/dev/null; }

resolve_version() {
    if [ -n "${ES_VERSION:-}" ]; then
        echo "$ES_VERSION"
        return
    fi
    local metadata version=""
    metadata=$(mktemp)
    if download "$ARTIFACT_URL/maven-metadata.xml" "$metadata" 2>/dev/null; then
        version=$(grep -o '<version>8\.19\.[0-9]*</version>' "$metadata" | sed 's/<[^>]*>//g' | sort -V | tail -n 1)
    fi
    rm -f "$metadata"
    if [ -z "$version" ]; then
        # Offline: the newest 8.19.x already in the cache will do.
        version=$(find "$ES_CACHE_DIR" -maxdepth 1 -name 'elasticsearch-8.19.*.zip' -printf '%f\n' 2>/dev/null |
            sed 's/^elasticsearch-//; s/\.zip$//' | sort -V | tail -n 1)
        [ -n "$version" ] || die "не удалось прочитать maven-metadata.xml / cannot read $ARTIFACT_URL/maven-metadata.xml"
        say "Maven Central недоступен, беру из кэша / Maven Central unreachable, using cached $version"
    fi
    echo "$version"
}

# verify ZIP DIR: checks the .sha512 and .sha1 published beside the zip (at least one must exist).
verify() {
    local zip=$1 name checked=0 algo expected actual
    name=$(basename "$zip")
    for algo in sha512 sha1; do
        if [ -s "$zip.$algo" ]; then
            expected=$(awk '{print $1; exit}' "$zip.$algo")
            actual=$("${algo}sum" "$zip" | awk '{print $1}')
            [ "$expected" = "$actual" ] || {
                say "$name: $algo не совпадает / $algo mismatch"
                return 1
            }
            checked=1
        fi
    done
    [ "$checked" -eq 1 ]
}

fetch() {
    local version=$1 zip base algo
    zip="$ES_CACHE_DIR/elasticsearch-$version.zip"
    if [ -s "$zip" ] && verify "$zip"; then
        echo "$zip"
        return
    fi
    mkdir -p "$ES_CACHE_DIR"
    base="$ARTIFACT_URL/$version/elasticsearch-$version.zip"
    say "скачиваю / downloading $base"
    for algo in sha512 sha1; do
        rm -f "$zip.$algo"
        if download "$base.$algo" "$zip.$algo.part" 2>/dev/null; then
            mv "$zip.$algo.part" "$zip.$algo"
        else
            rm -f "$zip.$algo.part"
        fi
    done
    [ -s "$zip.sha512" ] || [ -s "$zip.sha1" ] || die "нет контрольных сумм / no checksum published for $base"
    download "$base" "$zip.part" || die "не удалось скачать / download failed: $base"
    mv "$zip.part" "$zip"
    if ! verify "$zip"; then
        rm -f "$zip"
        die "контрольная сумма не совпала, файл удалён / checksum mismatch, removed $zip"
    fi
    echo "$zip"
}

java_major() {
    # Prints the major version of the JDK in $1, or nothing.
    local home=$1 version
    if [ -f "$home/release" ]; then
        version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
    else
        version=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
    fi
    version=${version#1.}
    echo "${version%%[._+-]*}"
}

find_java_home() {
    if [ -n "${ES_JAVA_HOME:-}" ]; then
        [ -x "$ES_JAVA_HOME/bin/java" ] || die "ES_JAVA_HOME=$ES_JAVA_HOME: нет bin/java / no bin/java"
        echo "$ES_JAVA_HOME"
        return
    fi
    local candidates=() dir best="" best_major=0 major seen=" "
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    for dir in /usr/lib/jvm/* /opt/* /opt/java/* /usr/local/*jdk* /usr/local/java/*; do
        candidates+=("$dir")
    done
    if command -v java >/dev/null 2>&1; then
        candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
    fi
    for dir in "${candidates[@]}"; do
        [ -x "$dir/bin/java" ] || continue
        dir=$(readlink -f "$dir")
        case "$seen" in *" $dir "*) continue ;; esac
        seen="$seen$dir "
        major=$(java_major "$dir")
        [[ "$major" =~ ^[0-9]+$ ]] || continue
        if [ "$major" -ge "$ES_JAVA_MIN" ] && [ "$major" -le "$ES_JAVA_MAX" ] && [ "$major" -gt "$best_major" ]; then
            best=$dir
            best_major=$major
        fi
    done
    echo "$best"
}

ensure_java() {
    local home
    home=$(find_java_home)
    if [ -z "$home" ]; then
        is_root || die "нет JDK ${ES_JAVA_MIN}..${ES_JAVA_MAX}; задайте ES_JAVA_HOME или установите openjdk-17-jre-headless" \
            "/ no JDK ${ES_JAVA_MIN}..${ES_JAVA_MAX}: set ES_JAVA_HOME or install openjdk-17-jre-headless"
        say "JDK не найден, ставлю / no JDK found, installing openjdk-17-jre-headless"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends openjdk-17-jre-headless >&2
        home=$(find_java_home)
        [ -n "$home" ] || die "JDK не найден после установки / no JDK after installing openjdk-17-jre-headless"
    fi
    echo "$home"
}

ensure_user() {
    id -u "$ES_USER" >/dev/null 2>&1 && return
    say "создаю системного пользователя / creating system user $ES_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
}

# as_node CMD...: runs a command as the user that owns the node.
as_node() {
    if is_root; then
        # From /: the current directory may be unreadable for that user (a clone under /root).
        (cd / && runuser -u "$ES_USER" -- "$@")
    else
        "$@"
    fi
}

unpack() {
    local zip=$1 version=$2 dist tmp py
    dist="$ES_HOME_DIR/elasticsearch-$version"
    if [ -x "$dist/bin/elasticsearch" ]; then
        echo "$dist"
        return
    fi
    tmp=$(mktemp -d "$ES_HOME_DIR/unpack.XXXXXX")
    if command -v unzip >/dev/null 2>&1; then
        unzip -q "$zip" -d "$tmp"
    elif py=$(python_bin); then
        "$py" -m zipfile -e "$zip" "$tmp"
        # The zipfile module drops permission bits.
        chmod +x "$tmp/elasticsearch-$version"/bin/*
    else
        die "нет unzip и python3 / need unzip or python3"
    fi
    [ -d "$tmp/elasticsearch-$version" ] || die "в архиве нет elasticsearch-$version / unexpected zip layout: $zip"
    is_root && chown -R "$ES_USER:" "$tmp"
    mv "$tmp/elasticsearch-$version" "$dist"
    rmdir "$tmp"
    echo "$dist"
}

wait_ready() {
    local deadline=$((SECONDS + ES_START_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if curl --silent --fail --max-time 10 \
            "$URL/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1; then
            return 0
        fi
        running_pid >/dev/null || return 1
        sleep 1
    done
    return 1
}

show_log_tail() {
    local file
    for file in "$LOG_DIR/launcher.log" "$LOG_DIR/$CLUSTER_NAME.log"; do
        [ -s "$file" ] || continue
        say "--- tail $file ---"
        tail -n 40 "$file" >&2
    done
}

cmd_start() {
    command -v curl >/dev/null 2>&1 || {
        is_root || die "нужен curl / curl is required"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl ca-certificates >&2
    }
    if running_pid >/dev/null; then
        wait_ready || {
            show_log_tail
            die "узел запущен, но не отвечает / node is running but not healthy at $URL"
        }
        echo "$URL"
        return
    fi
    if answers; then
        die "порт $ES_PORT занят другим процессом; задайте ES_PORT / port $ES_PORT is taken by another process, set ES_PORT"
    fi

    local version zip java_home dist settings=()
    version=$(resolve_version)
    zip=$(fetch "$version")
    java_home=$(ensure_java)
    if is_root; then
        ensure_user
        install -d -o "$ES_USER" -g "$ES_USER" -m 0755 "$ES_HOME_DIR" "$ES_HOME_DIR/data" "$ES_HOME_DIR/tmp" "$LOG_DIR"
    else
        mkdir -p "$ES_HOME_DIR/data" "$ES_HOME_DIR/tmp" "$LOG_DIR"
    fi
    dist=$(unpack "$zip" "$version")
    as_node test -x "$java_home/bin/java" || die "$ES_USER не может запустить / cannot run $java_home/bin/java"

    settings=(
        -Ecluster.name="$CLUSTER_NAME"
        -Enode.name=infopole-local
        -Ediscovery.type=single-node
        -Enetwork.host=127.0.0.1
        -Ehttp.port="$ES_PORT"
        -Epath.data="$ES_HOME_DIR/data"
        -Epath.logs="$LOG_DIR"
        -Eaction.destructive_requires_name=false
        # Small disks on CI runners must not turn indices read-only.
        -Ecluster.routing.allocation.disk.threshold_enabled=false
    )
    # Offline switches, only for modules this distribution has (unknown settings stop the node).
    [ -d "$dist/modules/x-pack-security" ] && settings+=(-Expack.security.enabled=false)
    [ -d "$dist/modules/x-pack-ml" ] && settings+=(-Expack.ml.enabled=false)
    [ -d "$dist/modules/ingest-geoip" ] && settings+=(-Eingest.geoip.downloader.enabled=false)
    [ -d "$dist/modules/x-pack-monitoring" ] && settings+=(-Expack.monitoring.collection.enabled=false)

    say "запускаю / starting Elasticsearch $version with $java_home (major $(java_major "$java_home"))"
    rm -f "$PID_FILE"
    # 9>&-: the node must not inherit the lock, or it would hold it for its lifetime.
    if ! as_node env ES_JAVA_HOME="$java_home" ES_JAVA_OPTS="$ES_JAVA_OPTS" ES_PATH_CONF="$dist/config" \
        ES_TMPDIR="$ES_HOME_DIR/tmp" LIBFFI_TMPDIR="$ES_HOME_DIR/tmp" \
        "$dist/bin/elasticsearch" \
        -d -p "$PID_FILE" "${settings[@]}" >"$LOG_DIR/launcher.log.tmp" 2>&1 9>&-; then
        mv -f "$LOG_DIR/launcher.log.tmp" "$LOG_DIR/launcher.log"
        show_log_tail
        die "Elasticsearch не запустился / failed to start"
    fi
    mv -f "$LOG_DIR/launcher.log.tmp" "$LOG_DIR/launcher.log"
    if ! wait_ready; then
        show_log_tail
        cmd_stop >/dev/null 2>&1 || true
        die "нет ответа за ${ES_START_TIMEOUT} с / not healthy within ${ES_START_TIMEOUT}s at $URL"
    fi
    echo "$URL"
}

cmd_stop() {
    local pid waited=0
    if ! pid=$(running_pid); then
        say "не запущен / not running"
        rm -f "$PID_FILE"
        return 0
    fi
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 60 ]; then
            say "не остановился за 60 с, SIGKILL / still alive after 60s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    say "остановлен / stopped (pid $pid)"
}

cmd_status() {
    local pid
    if pid=$(running_pid); then
        echo "running: pid $pid, $URL, $ES_HOME_DIR"
    else
        echo "stopped"
        return 3
    fi
}

with_lock() {
    # Two test sessions starting the node at once must not race over one run dir.
    mkdir -p "$(dirname "$ES_HOME_DIR")"
    exec 9>"$ES_HOME_DIR.lock"
    flock -w "$((ES_START_TIMEOUT + 300))" 9 || die "не дождался блокировки / lock timeout: $ES_HOME_DIR.lock"
    "$@"
}

case "${1:-}" in
start) with_lock cmd_start ;;
stop) with_lock cmd_stop ;;
status) cmd_status ;;
url) echo "$URL" ;;
*)
    echo "usage: $0 {start|stop|status|url}" >&2
    exit 2
    ;;
esac
