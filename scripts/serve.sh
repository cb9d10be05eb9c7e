#!/usr/bin/env bash
# Serve Latent Lab to a class: N replicas of `streamlit run app.py` behind HAProxy.
#
#   bash scripts/serve.sh --replicas 3 [--port 8501] [--address 0.0.0.0] [--logs DIR]
#   bash scripts/serve.sh --print-config HOST:PORT ...   # the balancer's config, for compose
#
# Each replica is a whole app process on a free loopback port; HAProxy (Debian's package,
# installed here if missing) listens on --port, keeps each browser on one replica with a cookie,
# passes the WebSocket through, checks /_stcore/health every second and takes a replica that
# fails two checks out of rotation (its pages reconnect to a live one). Its configuration is
# deploy/haproxy.cfg.template with the replicas filled in. Ctrl-C or SIGTERM stops every process
# this script started. The replicas share the checkpoint folder (LATENT_LAB_CHECKPOINTS, default
# checkpoints/), so a model trained on one appears in every replica's model picker.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPLATE=deploy/haproxy.cfg.template
PYTHON=${PYTHON:-python}

usage() {
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
}

# render BIND OPTIONS HOST:PORT... : the template with BIND and SERVERS filled in, on stdout;
# OPTIONS end each server line.
render() {
    local bind=$1 options=$2 servers="" i=0 text
    shift 2
    for hostport in "$@"; do
        i=$((i + 1))
        servers+="    server replica${i} ${hostport} check cookie replica${i}${options}"$'\n'
    done
    text=$(<"$TEMPLATE")
    text=${text//'${BIND}'/$bind}
    text=${text//'${SERVERS}'/${servers%$'\n'}}
    printf '%s\n' "$text"
}

replicas=1 port=8501 address=0.0.0.0 logs=""
while [ $# -gt 0 ]; do
    case $1 in
    --replicas) replicas=$2 && shift 2 ;;
    --port) port=$2 && shift 2 ;;
    --address) address=$2 && shift 2 ;;
    --logs) logs=$2 && shift 2 ;;
    --print-config) shift && render "*:8080" " resolvers system" "$@" && exit 0 ;;
    -h | --help) usage && exit 0 ;;
    *) echo "unknown option: $1" >&2 && usage >&2 && exit 2 ;;
    esac
done
[[ $replicas =~ ^[1-9][0-9]*$ ]] || { echo "--replicas takes a whole number >= 1" >&2; exit 2; }

# Debian's HAProxy, as scripts/test.sh installs chromium (needs apt-get, as root or with sudo).
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
if [ ! -x "$haproxy" ]; then
    echo "HAProxy is missing: installing Debian's haproxy package" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq && $sudo apt-get install -y -qq haproxy >/dev/null
    haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
fi

[ -n "$logs" ] || logs=$(mktemp -d "${TMPDIR:-/tmp}/latent-lab-serve.XXXXXX")
mkdir -p "$logs"

pids=()     # every process started here: the replicas, then HAProxy
names=()    # what each of them is, by the same index
stop_all() {
    trap - EXIT INT TERM
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do # Streamlit stops in a second; a stuck process gets 10 s
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'echo "stopping all" >&2; exit 130' INT
trap 'echo "stopping all" >&2; exit 143' TERM

# Free loopback ports for the replicas, all held at once so that none is handed out twice.
read -r -a ports <<<"$("$PYTHON" - "$replicas" <<'EOF'
import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
)"

# Every replica signs Streamlit's cookies (XSRF, uploads) with the same secret, so a session that
# fails over to another replica is still accepted there.
export STREAMLIT_SERVER_COOKIE_SECRET=${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PYTHON" -c \
    'import secrets; print(secrets.token_hex(32))')}
for i in $(seq "$replicas"); do
    p=${ports[$((i - 1))]}
    "$PYTHON" -m streamlit run app.py \
        --server.headless=true --server.address=127.0.0.1 --server.port="$p" \
        --server.fileWatcherType=none --browser.gatherUsageStats=false >"$logs/replica$i.log" 2>&1 &
    pids+=($!)
    names+=("replica $i")
done

healthy() { # host:port -> 0 when /_stcore/health answers 200 there (Python: no curl needed)
    "$PYTHON" -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)' \
        "http://$1/_stcore/health" 2>/dev/null
}
deadline=$((SECONDS + ${LATENT_LAB_START_TIMEOUT:-180}))
for i in $(seq "$replicas"); do
    until healthy "127.0.0.1:${ports[$((i - 1))]}"; do
        if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
            echo "replica $i did not start; the end of $logs/replica$i.log:" >&2
            tail -n 20 "$logs/replica$i.log" >&2
            exit 1
        fi
        sleep 0.3
    done
done

servers=()
for p in "${ports[@]}"; do servers+=("127.0.0.1:$p"); done
render "$address:$port" "" "${servers[@]}" >"$logs/haproxy.cfg"
"$haproxy" -c -q -f "$logs/haproxy.cfg"
"$haproxy" -db -f "$logs/haproxy.cfg" >"$logs/haproxy.log" 2>&1 &
pids+=($!)
names+=("HAProxy")
reach=$([ "$address" = 0.0.0.0 ] && echo 127.0.0.1 || echo "$address") # the balancer from here
until healthy "$reach:$port"; do
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$logs/haproxy.log" >&2; exit 1; }
    sleep 0.2
done

host=$([ "$address" = 0.0.0.0 ] && hostname -I 2>/dev/null | cut -d' ' -f1 || echo "$address")
echo "Latent Lab: http://${host:-127.0.0.1}:$port/ ($replicas replica(s) behind HAProxy)"
for i in $(seq "$replicas"); do
    echo "replica $i: http://127.0.0.1:${ports[$((i - 1))]} pid ${pids[$((i - 1))]}"
done
echo "logs and the balancer's config: $logs; Ctrl-C stops everything"

# Watch: a replica that exits is reported (HAProxy already routes around it); when HAProxy or
# the last replica exits, stop.
alive=("${pids[@]}")
while true; do
    finished=""
    code=0
    wait -n -p finished "${alive[@]}" || code=$?
    [ -n "$finished" ] || continue
    for k in "${!pids[@]}"; do [ "${pids[$k]}" = "$finished" ] && name=${names[$k]}; done
    rest=()
    for pid in "${alive[@]}"; do [ "$pid" = "$finished" ] || rest+=("$pid"); done
    alive=("${rest[@]}")
    if [ "$name" = HAProxy ]; then
        echo "HAProxy exited ($code); see $logs/haproxy.log" >&2
        exit 1
    fi
    echo "$name (pid $finished) exited ($code): out of rotation, its pages reconnect to the others" >&2
    [ ${#alive[@]} -gt 1 ] || { echo "no replica left" >&2; exit 1; }
done
