#!/usr/bin/env bash
# make run: the six services as local processes, with the settings
# docker-compose.yml gives them, against the PostgreSQL and RabbitMQ that
# `make deps` provides on localhost. Logs go to tmp/logs/<service>.log.
# Ctrl-C (or SIGTERM) stops them all gracefully.
#
# Identity starts first, on http://localhost:8085: the issuer the others
# accept by default (AUTH_ISSUER), whose keys they find through its
# discovery document, as the browser reaches it. The storefront, webapp,
# starts last, on http://localhost:8080, once the APIs it calls are ready.
#
# As in compose, each service connects as its own database role, and each
# but identity (no events) as its own broker user: this script first applies deploy/rabbitmq/definitions.json to the
# broker (rabbitmqctl import_definitions; RABBITMQCTL overrides the command)
# and deploy/postgres/init.sql to the server (psql as postgres; PSQL
# overrides the command). Both only add what is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
bash deploy/scripts/ensure-deps.sh
mkdir -p tmp/logs

PG_HOST=${PG_HOST:-localhost:5432}
AMQP_HOST=${AMQP_HOST:-localhost:5672}
EXCHANGE=${EVENTBUS_EXCHANGE:-eshop_event_bus}
read -r -a RABBITMQCTL <<<"${RABBITMQCTL:-rabbitmqctl}"
read -r -a PSQL <<<"${PSQL:-psql}"

# The broker users. A broker that still has the direct exchange or the wait
# queues of an earlier version refuses the services' declarations (each
# service's /readyz and log say so): say here what to do.
"${RABBITMQCTL[@]}" import_definitions --format json <deploy/rabbitmq/definitions.json >/dev/null || {
	echo "cannot apply deploy/rabbitmq/definitions.json with ${RABBITMQCTL[*]}; set RABBITMQCTL" >&2
	exit 1
}
if "${RABBITMQCTL[@]}" list_exchanges name type --quiet --no-table-headers | awk -v x="$EXCHANGE" '$1 == x && $2 != "topic" { found = 1 } END { exit !found }'; then
	echo "the broker holds $EXCHANGE as a direct exchange, from before per-service users: delete it (management UI, or rabbitmqadmin delete exchange name=$EXCHANGE) or set EVENTBUS_EXCHANGE to a new name and grant it in deploy/rabbitmq/definitions.json" >&2
	exit 1
fi

# The database roles. A database made before them (owned by postgres) is
# not the service's: its role could not use the tables in it.
"${PSQL[@]}" --no-psqlrc --quiet -d "postgres://postgres@$PG_HOST/postgres?sslmode=disable" -f - <deploy/postgres/init.sql
for name in identity catalog basket ordering; do
	owner=$("${PSQL[@]}" --no-psqlrc -At -d "postgres://postgres@$PG_HOST/postgres?sslmode=disable" \
		-c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${name}db'")
	if [ "$owner" != "$name" ]; then
		echo "database ${name}db belongs to $owner, not to the role $name (made before per-service roles): drop it (demo data; dropdb -h ${PG_HOST%:*} -U postgres ${name}db) and run again" >&2
		exit 1
	fi
done

pids=()
# start runs bin/<name> with the settings given; start_on_bus adds its
# broker user and queue.
start() {
	local name=$1; shift
	env "$@" LOG_LEVEL="${LOG_LEVEL:-info}" "bin/$name" 2>>"tmp/logs/$name.log" &
	pids+=($!)
	echo "started $name (pid $!), log tmp/logs/$name.log"
}
start_on_bus() {
	local name=$1; shift
	start "$name" "$@" RABBITMQ_URL="amqp://$name:$name-demo-password@$AMQP_HOST/" \
		EVENTBUS_EXCHANGE="$EXCHANGE" EVENTBUS_QUEUE="$name"
}
# ready waits until the service on port answers /readyz (any binary's
# healthcheck asks the address in HTTP_ADDR).
ready() {
	for _ in $(seq 1 60); do
		if HTTP_ADDR=":$1" bin/identity healthcheck 2>/dev/null; then return 0; fi
		sleep 1
	done
	echo "warning: the service on :$1 is not ready after 60 s; see tmp/logs" >&2
}
stop() {
	trap - INT TERM EXIT
	echo "stopping (SIGTERM: each service finishes its work and exits)…"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

db() { echo "postgres://$1:$1-demo-password@$PG_HOST/${1}db?sslmode=disable"; }
# Identity first, so that the others find its keys from their first request.
# IDENTITY_COOKIE_KEY: the compose file's demo-only key unless one is set.
start identity HTTP_ADDR=:8085 DATABASE_URL="$(db identity)" \
	IDENTITY_COOKIE_KEY="${IDENTITY_COOKIE_KEY:-demo-only-cookie-key-do-not-use-in-prod}"
ready 8085
start_on_bus catalog HTTP_ADDR=:8081 DATABASE_URL="$(db catalog)"
start_on_bus basket HTTP_ADDR=:8082 DATABASE_URL="$(db basket)"
start_on_bus ordering HTTP_ADDR=:8083 DATABASE_URL="$(db ordering)" GRACE_PERIOD="${GRACE_PERIOD:-5s}"
# PAYMENT_TOKEN_KEY: the compose file's demo-only key unless one is set.
start_on_bus payment HTTP_ADDR=:8084 PAYMENT_SUCCEEDED="${PAYMENT_SUCCEEDED:-true}" \
	PAYMENT_TOKEN_KEY="${PAYMENT_TOKEN_KEY:-ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q=}"

for port in 8081 8082 8083 8084; do ready "$port"; done
# The storefront last: its defaults are these addresses. SESSION_KEY: the
# compose file's demo-only key unless one is set.
start_on_bus webapp HTTP_ADDR=:8080 SESSION_KEY="${SESSION_KEY:-demo-only-session-key-do-not-use-in-prod}"
ready 8080
echo "the shop runs: open http://localhost:8080 and sign in as alice@example.com / Pass@word1 (bob@example.com, admin@example.com too); identity :8085, catalog :8081, basket :8082, ordering :8083, payment :8084 — try 'make demo'; Ctrl-C stops it"
wait
