#!/usr/bin/env bash
# Starts Debian's clickhouse-server (18.16) on loopback for the test suite, with its data in
# .tmp/clickhouse, and waits until it answers. Usage: .ci/clickhouse.sh start|stop [http_port]
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-start}
port=${2:-18123}
dir="$PWD/.tmp/clickhouse-$port"
pidfile="$dir/server.pid"

case "$action" in
  start)
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "clickhouse-server already running (pid $(cat "$pidfile"))"
    else
      clickhouse-server --config-file=/etc/clickhouse-server/config.xml -- \
        --path="$dir/data/" --tmp_path="$dir/tmp/" --user_files_path="$dir/user_files/" \
        --format_schema_path="$dir/format_schemas/" \
        --logger.log="$dir/server.log" --logger.errorlog="$dir/server.err.log" \
        --http_port="$port" --tcp_port=$((port + 1)) --interserver_http_port=$((port + 2)) \
        --listen_host=127.0.0.1 >"$dir/stdout.log" 2>&1 &
      echo $! >"$pidfile"
    fi
    for _ in $(seq 1 60); do
      if [ "$(curl -s "http://127.0.0.1:$port/ping" || true)" = "Ok." ]; then
        echo "clickhouse-server $(curl -s "http://127.0.0.1:$port/?query=SELECT%20version()") ready on 127.0.0.1:$port"
        exit 0
      fi
      sleep 0.5
    done
    echo "clickhouse-server did not start; last log lines:" >&2
    tail -n 30 "$dir/server.err.log" "$dir/stdout.log" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$pidfile"
    fi
    ;;
  *)
    echo "usage: $0 start|stop [http_port]" >&2
    exit 2
    ;;
esac
