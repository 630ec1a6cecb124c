#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on this machine before tests run:
#   1. both answer already           -> use them;
#   2. a Docker engine is there       -> start them with docker compose;
#   3. Debian or Ubuntu (apt-get)     -> install the packages and start them;
# and fails with a clear message when none of that works. Then makes sure
# the browser tests have a Chromium (tests/e2e, browser_test.go): Debian's
# chromium package, installed with apt-get when there is none.
#
# With --check (make run) it only checks that both answer, and when one
# does not, says how to get it; it starts and installs nothing.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

say() { echo "deps: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pg_ready() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
	else
		port_open "$PG_HOST" "$PG_PORT"
	fi
}

# The AMQP port opens only once the broker has booted; a broker that answers
# the protocol header with any bytes is up.
amqp_ready() {
	port_open "$AMQP_HOST" "$AMQP_PORT" || return 1
	local got
	got=$(
		exec 3<>"/dev/tcp/$AMQP_HOST/$AMQP_PORT" || exit 0
		printf 'AMQP\x00\x00\x09\x01' >&3
		timeout 5 head -c 8 <&3 | wc -c
	)
	[ "${got:-0}" -gt 0 ]
}

both_ready() { pg_ready && amqp_ready; }

wait_ready() {
	local deadline=$((SECONDS + ${1:-120}))
	until both_ready; do
		if [ $SECONDS -ge $deadline ]; then
			pg_ready || say "PostgreSQL does not answer on $PG_HOST:$PG_PORT"
			amqp_ready || say "RabbitMQ does not answer on $AMQP_HOST:$AMQP_PORT"
			return 1
		fi
		sleep 1
	done
}

sudo_cmd() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

start_with_compose() {
	say "starting postgres and rabbitmq with docker compose"
	(cd "$ROOT" && docker compose -f docker-compose.yml -f deploy/compose.ports.yml up -d --wait postgres rabbitmq)
}

start_debian_packages() {
	local missing=()
	command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql postgresql-client)
	command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing ${missing[*]} (Debian packages)"
		sudo_cmd apt-get update -qq
		sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
	if ! pg_ready; then
		local version
		version=$(ls /etc/postgresql | sort -V | tail -n 1)
		local hba=/etc/postgresql/$version/main/pg_hba.conf
		# Tests connect as postgres over TCP without a password: trust loopback
		# only, and only on a machine where this script set the server up.
		if ! grep -q '^# eshop-go test access' "$hba"; then
			say "allowing password-less loopback access for the postgres role (test machine)"
			sudo_cmd sed -i '1i # eshop-go test access\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
		fi
		say "starting PostgreSQL $version"
		sudo_cmd pg_ctlcluster --skip-systemctl-redirect "$version" main restart || sudo_cmd pg_ctlcluster "$version" main start
	fi
	if ! amqp_ready; then
		say "starting RabbitMQ"
		sudo_cmd rabbitmq-server -detached
	fi
}

# The browser tests drive Chromium; CHROMIUM names another binary.
ensure_chromium() {
	local browser=${CHROMIUM:-chromium}
	if command -v "$browser" >/dev/null 2>&1; then
		say "Chromium: $(command -v "$browser")"
		return 0
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		say "there is no $browser for the browser tests and no apt-get to install it: install Chromium, or set CHROMIUM to its binary"
		return 1
	fi
	say "installing chromium (Debian package) for the browser tests"
	sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
		{ sudo_cmd apt-get update -qq && sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	command -v "$browser" >/dev/null 2>&1 || { say "chromium was installed but $browser is not on the PATH"; return 1; }
	say "Chromium: $(command -v "$browser")"
}

if [ "${1:-}" = "--check" ]; then
	both_ready && exit 0
	pg_ready || say "PostgreSQL does not answer on $PG_HOST:$PG_PORT (role postgres, no password)"
	amqp_ready || say "RabbitMQ does not answer on $AMQP_HOST:$AMQP_PORT (the tests' user guest)"
	say "'make deps' starts them (with Docker compose, or on Debian/Ubuntu by installing the packages), or start your own; then run this again"
	exit 1
fi

if both_ready; then
	say "PostgreSQL ($PG_HOST:$PG_PORT) and RabbitMQ ($AMQP_HOST:$AMQP_PORT) answer"
	ensure_chromium
	exit 0
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
	start_with_compose
elif command -v apt-get >/dev/null 2>&1; then
	start_debian_packages
else
	say "PostgreSQL or RabbitMQ is not reachable, there is no Docker engine and no apt-get."
	say "Start PostgreSQL on $PG_HOST:$PG_PORT (role postgres, no password) and RabbitMQ on $AMQP_HOST:$AMQP_PORT (guest/guest)."
	exit 1
fi

if ! wait_ready 180; then
	say "gave up waiting for PostgreSQL and RabbitMQ"
	exit 1
fi
say "PostgreSQL and RabbitMQ answer"
ensure_chromium
