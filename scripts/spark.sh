#!/usr/bin/env bash
# A local Spark Connect server for tests, `engine check` and benchmarks, reachable only on 127.0.0.1.
#
#   scripts/spark.sh start   start the server (local[2], UI off), wait until it accepts connections, print its URL
#   scripts/spark.sh stop    stop it (nothing to do when it is not running)
#
# Only the URL goes to stdout (sc://127.0.0.1:15002), so
#   export TIDELINE_TEST_SPARK_URL="$(scripts/spark.sh start)"
# works. TIDELINE_SPARK_DRIVER_MEMORY sets the server's heap (default 4g). Logs, the pid file and Spark's scratch space live in $TIDELINE_SPARK_DIR (default /tmp/tideline-spark).
# SPARK_HOME defaults to the pyspark package installed in .venv (pip install -r requirements-spark.txt, or
# `make spark`); JAVA_HOME to the JDK /usr/bin/java belongs to, else a JDK 17 or 21 in /usr/lib/jvm.
set -euo pipefail

HOST=127.0.0.1
PORT=15002
TIMEOUT=180 # seconds to wait for the port: ~45 s on a 2-core machine

die() {
    echo "spark.sh: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop" >&2
    exit 2
}

[[ $# -eq 1 ]] || usage
action=$1
dir=${TIDELINE_SPARK_DIR:-/tmp/tideline-spark}
# local[2] runs the executors in the driver: its heap holds a query's rows (1g ran out sorting and returning
# ten million incidents for `engine check`)
memory=${TIDELINE_SPARK_DRIVER_MEMORY:-4g}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

find_spark_home() {
    local python
    for python in "$repo/.venv/bin/python" python3; do
        if command -v "$python" >/dev/null 2>&1 &&
            "$python" -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))' 2>/dev/null; then
            return 0
        fi
    done
    return 1
}

find_java_home() {
    local java candidate
    if java=$(command -v java 2>/dev/null); then
        candidate=$(dirname "$(dirname "$(readlink -f "$java")")")
        if [[ -x $candidate/bin/java ]]; then
            echo "$candidate"
            return 0
        fi
    fi
    # Spark 4 runs on Java 17 and 21; prefer those over whatever else is installed.
    for candidate in /usr/lib/jvm/java-17-* /usr/lib/jvm/java-21-* /usr/lib/jvm/*; do
        if [[ -x $candidate/bin/java ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

port_open() {
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

if [[ -z ${SPARK_HOME:-} ]]; then
    SPARK_HOME=$(find_spark_home) ||
        die "pyspark is not installed and SPARK_HOME is not set: run \`make spark\` (pip install -r requirements-spark.txt)"
fi
[[ -x $SPARK_HOME/sbin/start-connect-server.sh ]] ||
    die "$SPARK_HOME/sbin/start-connect-server.sh not found: SPARK_HOME must be a Spark 4 distribution or the pyspark package"
export SPARK_HOME

# spark-daemon.sh keeps its pid file in SPARK_PID_DIR and its log in SPARK_LOG_DIR.
export SPARK_PID_DIR=$dir SPARK_LOG_DIR=$dir/logs SPARK_IDENT_STRING=tideline
pid_file=$dir/spark-tideline-org.apache.spark.sql.connect.service.SparkConnectServer-1.pid

running_pid() {
    local pid
    [[ -f $pid_file ]] || return 1
    pid=$(cat "$pid_file")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && [[ $(ps -p "$pid" -o comm=) == java ]] || return 1
    echo "$pid"
}

case $action in
start)
    if pid=$(running_pid); then
        port_open || die "a server from $dir is running (pid $pid) but port $PORT is closed: run '$0 stop' first"
        echo "spark.sh: already running (pid $pid)" >&2
        echo "sc://$HOST:$PORT"
        exit 0
    fi
    port_open && die "port $PORT on $HOST is already in use by another process"
    if [[ -z ${JAVA_HOME:-} ]]; then
        JAVA_HOME=$(find_java_home) || die "no Java found (java on PATH or a JDK in /usr/lib/jvm): install openjdk-17-jre-headless"
    fi
    [[ -x $JAVA_HOME/bin/java ]] || die "JAVA_HOME=$JAVA_HOME has no bin/java"
    export JAVA_HOME
    mkdir -p "$dir/logs" "$dir/tmp" "$dir/warehouse"
    # local[2]: two cores; few shuffle partitions, since Tideline's results are small. Everything on 127.0.0.1,
    # the UI and Ivy downloads off: the server needs no network.
    "$SPARK_HOME/sbin/start-connect-server.sh" \
        --master 'local[2]' \
        --driver-memory "$memory" \
        --conf spark.ui.enabled=false \
        --conf spark.connect.grpc.binding.address=$HOST \
        --conf spark.connect.grpc.binding.port=$PORT \
        --conf spark.driver.host=$HOST \
        --conf spark.driver.bindAddress=$HOST \
        --conf spark.local.dir="$dir/tmp" \
        --conf spark.sql.warehouse.dir="$dir/warehouse" \
        --conf spark.sql.shuffle.partitions=4 \
        --conf spark.sql.session.timeZone=UTC \
        --conf "spark.driver.extraJavaOptions=-Djava.io.tmpdir=$dir/tmp -Dderby.system.home=$dir/tmp" \
        >&2 || die "start-connect-server.sh failed; see $dir/logs"
    for ((i = 0; i < TIMEOUT; i++)); do
        if port_open; then
            echo "spark.sh: Spark Connect ready after ${i} s (logs in $dir/logs)" >&2
            echo "sc://$HOST:$PORT"
            exit 0
        fi
        if ! running_pid >/dev/null; then
            tail -20 "$dir"/logs/*.out >&2 2>/dev/null || true
            die "the Spark Connect server exited during start-up; log in $dir/logs"
        fi
        sleep 1
    done
    die "the Spark Connect server did not open $HOST:$PORT within $TIMEOUT s; log in $dir/logs (stop it: $0 stop)"
    ;;
stop)
    if ! pid=$(running_pid); then
        rm -f "$pid_file"
        echo "spark.sh: not running" >&2
        exit 0
    fi
    kill "$pid"
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "spark.sh: pid $pid did not stop within 60 s: killing it" >&2
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
    echo "spark.sh: stopped (pid $pid)" >&2
    ;;
*)
    usage
    ;;
esac
