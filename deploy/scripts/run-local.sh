#!/usr/bin/env bash
# make run: the six services as local processes, in the foreground, with
# the settings docker-compose.yml gives them, against the PostgreSQL and
# RabbitMQ that answer on localhost. It installs and starts nothing: when a
# server does not answer it says so, and that `make deps` provides them.
#
# Each service's log lines come out prefixed with its name, and go to
# tmp/logs/<service>.log too. Ctrl-C (or SIGTERM: `make stop`, which finds
# this script in tmp/run.pid) stops them all gracefully; when one service
# exits by itself, the script says which and stops the others.
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
# PG_HOST and AMQP_HOST: host:port of the servers.
PG_ADDR=${PG_HOST:-localhost:5432} AMQP_ADDR=${AMQP_HOST:-localhost:5672}
PG_HOST=${PG_ADDR%:*} PG_PORT=${PG_ADDR##*:} AMQP_HOST=${AMQP_ADDR%:*} AMQP_PORT=${AMQP_ADDR##*:}
PG_HOST=$PG_HOST PG_PORT=$PG_PORT AMQP_HOST=$AMQP_HOST AMQP_PORT=$AMQP_PORT bash deploy/scripts/ensure-deps.sh --check
mkdir -p tmp/logs
PIDFILE=tmp/run.pid
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
	echo "the shop already runs (pid $(cat "$PIDFILE")): 'make stop' stops it" >&2
	exit 1
fi
EXCHANGE=${EVENTBUS_EXCHANGE:-eshop_event_bus}
read -r -a RABBITMQCTL <<<"${RABBITMQCTL:-rabbitmqctl}"
read -r -a PSQL <<<"${PSQL:-psql}"

# The exchange and the broker users. A broker that still has the direct
# exchange of an earlier version cannot take the definitions' topic exchange,
# and one with the wait queues of an earlier version refuses the services'
# declarations (each service's /readyz and log say so): say here what to do.
if "${RABBITMQCTL[@]}" list_exchanges name type --quiet --no-table-headers | awk -v x="$EXCHANGE" '$1 == x && $2 != "topic" { found = 1 } END { exit !found }'; then
	echo "the broker holds $EXCHANGE as a direct exchange, from before per-service users: delete it (management UI, or rabbitmqadmin delete exchange name=$EXCHANGE) or set EVENTBUS_EXCHANGE to a new name and declare and grant it in deploy/rabbitmq/definitions.json" >&2
	exit 1
fi
"${RABBITMQCTL[@]}" import_definitions --format json <deploy/rabbitmq/definitions.json >/dev/null || {
	echo "cannot apply deploy/rabbitmq/definitions.json with ${RABBITMQCTL[*]}; set RABBITMQCTL" >&2
	exit 1
}

# The database roles. A database made before them (owned by postgres) is
# not the service's: its role could not use the tables in it.
"${PSQL[@]}" --no-psqlrc --quiet -d "postgres://postgres@$PG_HOST:$PG_PORT/postgres?sslmode=disable" -f - <deploy/postgres/init.sql
for name in identity catalog basket ordering; do
	owner=$("${PSQL[@]}" --no-psqlrc -At -d "postgres://postgres@$PG_HOST:$PG_PORT/postgres?sslmode=disable" \
		-c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${name}db'")
	if [ "$owner" != "$name" ]; then
		echo "database ${name}db belongs to $owner, not to the role $name (made before per-service roles): drop it (demo data; dropdb -h $PG_HOST -p $PG_PORT -U postgres ${name}db) and run again" >&2
		exit 1
	fi
done

pids=()
declare -A names # pid -> service
# prefix puts the service's name before each line it writes.
prefix() { sed -u "s/^/$(printf '%-8s |' "$1") /"; }
# start runs bin/<name> with the settings given, its output prefixed on
# the terminal and its log in tmp/logs; start_on_bus adds its broker user
# and queue.
start() {
	local name=$1; shift
	env "$@" LOG_LEVEL="${LOG_LEVEL:-info}" "bin/$name" \
		> >(prefix "$name") 2> >(tee -a "tmp/logs/$name.log" | prefix "$name" >&2) &
	pids+=($!)
	names[$!]=$name
	echo "started $name (pid $!), log tmp/logs/$name.log"
}
start_on_bus() {
	local name=$1; shift
	start "$name" "$@" RABBITMQ_URL="amqp://$name:$name-demo-password@$AMQP_HOST:$AMQP_PORT/" \
		EVENTBUS_EXCHANGE="$EXCHANGE" EVENTBUS_QUEUE="$name"
}
stop() {
	trap - INT TERM EXIT
	echo "stopping (SIGTERM: each service finishes its work and exits)…"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	rm -f "$PIDFILE"
}
# died stops the others when a service has exited by itself.
died() {
	local pid=$1 status=$2
	echo "${names[$pid]} exited (status $status) — see tmp/logs/${names[$pid]}.log; stopping the others" >&2
	stop
	exit 1
}
# ready waits until the service on port answers /readyz (any binary's
# healthcheck asks the address in HTTP_ADDR), as long as it runs.
ready() {
	local port=$1 pid=$2
	for _ in $(seq 1 60); do
		if HTTP_ADDR=":$port" bin/identity healthcheck 2>/dev/null; then return 0; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" && status=0 || status=$?
			died "$pid" "$status"
		fi
		sleep 1
	done
	echo "warning: ${names[$pid]} on :$port is not ready after 60 s; see tmp/logs/${names[$pid]}.log" >&2
}
trap 'stop; exit 0' INT TERM
trap stop EXIT
echo $$ >"$PIDFILE"

db() { echo "postgres://$1:$1-demo-password@$PG_HOST:$PG_PORT/${1}db?sslmode=disable"; }
# Identity first, so that the others find its keys from their first request.
# IDENTITY_COOKIE_KEY, IDENTITY_KEY_SEAL: the compose file's demo-only keys
# unless they are set.
start identity HTTP_ADDR=:8085 DATABASE_URL="$(db identity)" \
	IDENTITY_COOKIE_KEY="${IDENTITY_COOKIE_KEY:-demo-only-cookie-key-do-not-use-in-prod}" \
	IDENTITY_KEY_SEAL="${IDENTITY_KEY_SEAL:-demo-only-key-seal-do-not-use-in-prod}"
ready 8085 "${pids[0]}"
start_on_bus catalog HTTP_ADDR=:8081 DATABASE_URL="$(db catalog)"
start_on_bus basket HTTP_ADDR=:8082 DATABASE_URL="$(db basket)"
start_on_bus ordering HTTP_ADDR=:8083 DATABASE_URL="$(db ordering)" GRACE_PERIOD="${GRACE_PERIOD:-5s}"
# PAYMENT_TOKEN_KEY: the compose file's demo-only key unless one is set.
start_on_bus payment HTTP_ADDR=:8084 PAYMENT_SUCCEEDED="${PAYMENT_SUCCEEDED:-true}" \
	PAYMENT_TOKEN_KEY="${PAYMENT_TOKEN_KEY:-ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q=}"

for i in 1 2 3 4; do ready "$((8080 + i))" "${pids[$i]}"; done
# The storefront last: its defaults are these addresses. SESSION_KEY: the
# compose file's demo-only key unless one is set.
start_on_bus webapp HTTP_ADDR=:8080 SESSION_KEY="${SESSION_KEY:-demo-only-session-key-do-not-use-in-prod}"
ready 8080 "${pids[5]}"
echo "the shop runs: open http://localhost:8080 and sign in as alice@example.com / Pass@word1 (bob@example.com, admin@example.com too); identity :8085, catalog :8081, basket :8082, ordering :8083, payment :8084 — in another terminal try 'make demo' and 'make events'; Ctrl-C (or 'make stop') stops it"
# Until a service exits by itself (or a signal comes: the trap).
dead=
wait -n -p dead "${pids[@]}" && status=0 || status=$?
[ -n "$dead" ] && died "$dead" "$status"
