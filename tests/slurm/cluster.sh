#!/usr/bin/env bash
# Start or stop a throw-away one-node SLURM cluster (munged, slurmctld, slurmd) on localhost.
#
#   tests/slurm/cluster.sh start DIR    # prints `export SLURM_CONF=DIR/slurm.conf`
#   tests/slurm/cluster.sh stop DIR     # cancels its jobs, stops its three daemons
#
# Needs root and Debian's `slurm-wlm` and `munge` packages. Every file (config, munge key and
# socket, state, spool, logs, pid files) lives under DIR and the daemons listen on their own
# ports (SLURMCTLD_PORT, SLURMD_PORT; free ones are picked when unset), so the system's
# /etc/slurm, /etc/munge and /run/munge are neither read nor changed.
#
# One system path is used: /run/slurm/conf/slurm.conf, where SLURM's commands look for a
# node's configuration when neither $SLURM_CONF nor /etc/slurm/slurm.conf names one (it is
# where a configless slurmd caches it). Snakemake's slurm-jobstep executor drops $SLURM_CONF
# (with every other SLURM_* variable) before its `srun` inside the job, so that `srun` finds
# this cluster only there. `start` links it to DIR/slurm.conf and `stop` removes the link;
# `start` refuses (exit 3) if a SLURM is already configured on this machine.
#
# tests/workflow/test_slurm.py calls this from a pytest fixture; run it by hand to try
# profiles/slurm on one machine. Exit status 3 means "cannot run here" (the test then skips).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
command="${1:-}"
dir="${2:-}"
if [[ -z "$command" || -z "$dir" ]]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"
RUN_CONF=/run/slurm/conf/slurm.conf

free_port() {
    "${PYTHON:-python3}" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

stop_pid_file() {  # TERM the daemon named in a pid file, then KILL it after 10 s
    local pid_file="$1" pid
    [[ -s "$pid_file" ]] || return 0
    pid="$(cat "$pid_file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
}

start() {
    local missing=()
    for program in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
        command -v "$program" >/dev/null || missing+=("$program")
    done
    if ((${#missing[@]})); then
        echo "not installed: ${missing[*]} (apt-get install slurm-wlm munge)" >&2
        exit 3
    fi
    if [[ "$(id -u)" != 0 ]]; then
        echo "must run as root (the daemons run as SlurmUser=root)" >&2
        exit 3
    fi
    if [[ -e /etc/slurm/slurm.conf || -e "$RUN_CONF" || -L "$RUN_CONF" ]]; then
        echo "a SLURM is already configured on this machine (/etc/slurm/slurm.conf or" \
            "$RUN_CONF exists); not starting a second one beside it" >&2
        exit 3
    fi

    mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
    chmod 700 "$dir/munge"
    if [[ ! -s "$dir/munge/munge.key" ]]; then
        head -c 1024 /dev/urandom >"$dir/munge/munge.key"
        chmod 400 "$dir/munge/munge.key"
    fi
    munged --force \
        --key-file="$dir/munge/munge.key" \
        --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" \
        --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed"

    local host node_line ctld_port slurmd_port
    host="$(hostname -s)"
    # `slurmd -C` prints this machine's node line: NodeName, CPUs, sockets, cores, memory.
    node_line="$(slurmd -C | grep '^NodeName=' | sed "s/^NodeName=[^ ]*/NodeName=$host/")"
    ctld_port="${SLURMCTLD_PORT:-$(free_port)}"
    slurmd_port="${SLURMD_PORT:-$(free_port)}"
    while [[ "$slurmd_port" == "$ctld_port" ]]; do slurmd_port="$(free_port)"; done
    : >"$dir/plugstack.conf"
    sed -e "s|@DIR@|$dir|g" \
        -e "s|@HOST@|$host|g" \
        -e "s|@CTLD_PORT@|$ctld_port|g" \
        -e "s|@SLURMD_PORT@|$slurmd_port|g" \
        -e "s|@NODE_LINE@|$node_line|g" \
        "$HERE/slurm.conf.in" >"$conf"

    mkdir -p "$(dirname "$RUN_CONF")"
    ln -s "$conf" "$RUN_CONF"

    slurmctld -f "$conf"
    slurmd -f "$conf"

    # Ready when the node is idle (the controller is up and slurmd has registered).
    local state=""
    for _ in $(seq 120); do
        state="$(sinfo --noheader --format=%T 2>/dev/null || true)"
        [[ "$state" == idle* ]] && break
        sleep 0.25
    done
    if [[ "$state" != idle* ]]; then
        echo "the SLURM node did not become idle (state: '${state:-none}'); logs:" >&2
        tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" "$dir/munge/munged.log" >&2 || true
        stop
        exit 1
    fi
    echo "export SLURM_CONF=$conf"
}

stop() {
    if [[ -s "$dir/slurmctld.pid" ]]; then
        # Cancel whatever is still queued or running, then give slurmd a moment to reap it.
        scancel --full --user=root 2>/dev/null || true
        for _ in $(seq 50); do
            [[ -z "$(squeue --noheader 2>/dev/null || true)" ]] && break
            sleep 0.2
        done
    fi
    stop_pid_file "$dir/slurmd.pid"
    stop_pid_file "$dir/slurmctld.pid"
    stop_pid_file "$dir/munge/munged.pid"
    # Remove the client link only if it is ours (it points into DIR).
    if [[ -L "$RUN_CONF" && "$(readlink "$RUN_CONF")" == "$conf" ]]; then
        rm -f "$RUN_CONF"
        rmdir "$(dirname "$RUN_CONF")" /run/slurm 2>/dev/null || true
    fi
}

case "$command" in
start) start ;;
stop) stop ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
