#!/usr/bin/env bash
# make run: the four services as local processes, with the settings
# docker-compose.yml gives them, against the PostgreSQL and RabbitMQ that
# `make deps` provides on localhost. Logs go to tmp/logs/<service>.log.
# Ctrl-C (or SIGTERM) stops them all gracefully.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
bash deploy/scripts/ensure-deps.sh
mkdir -p tmp/logs

PG=${PG_URL_BASE:-postgres://postgres@localhost:5432}
AMQP=${RABBITMQ_URL:-amqp://guest:guest@localhost:5672/}
pids=()
start() {
	local name=$1; shift
	env "$@" RABBITMQ_URL="$AMQP" EVENTBUS_EXCHANGE="${EVENTBUS_EXCHANGE:-eshop_event_bus}" \
		EVENTBUS_QUEUE="$name" LOG_LEVEL="${LOG_LEVEL:-info}" \
		"bin/$name" 2>>"tmp/logs/$name.log" &
	pids+=($!)
	echo "started $name (pid $!), log tmp/logs/$name.log"
}
stop() {
	trap - INT TERM EXIT
	echo "stopping (SIGTERM: each service finishes its work and exits)…"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

start catalog HTTP_ADDR=:8081 DATABASE_URL="$PG/catalogdb?sslmode=disable"
start basket HTTP_ADDR=:8082 DATABASE_URL="$PG/basketdb?sslmode=disable"
start ordering HTTP_ADDR=:8083 DATABASE_URL="$PG/orderingdb?sslmode=disable" GRACE_PERIOD="${GRACE_PERIOD:-5s}"
# PAYMENT_TOKEN_KEY: the compose file's demo-only key unless one is set.
start payment HTTP_ADDR=:8084 PAYMENT_SUCCEEDED="${PAYMENT_SUCCEEDED:-true}" \
	PAYMENT_TOKEN_KEY="${PAYMENT_TOKEN_KEY:-ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q=}"

# Wait until each answers /readyz (any binary's healthcheck asks the address in HTTP_ADDR).
for port in 8081 8082 8083 8084; do
	ready=false
	for _ in $(seq 1 60); do
		if HTTP_ADDR=":$port" bin/payment healthcheck 2>/dev/null; then ready=true; break; fi
		sleep 1
	done
	$ready || echo "warning: the service on :$port is not ready after 60 s; see tmp/logs" >&2
done
echo "the shop runs: catalog :8081, basket :8082, ordering :8083, payment :8084 — try 'make demo'; Ctrl-C stops it"
wait
