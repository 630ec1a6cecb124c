# eShop-Go. `make help` lists the targets; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Every Go package of the workspace, as patterns go accepts from its root.
PKGS := ./buildingblocks/... ./services/catalog/... ./services/basket/... \
        ./services/ordering/... ./services/payment/... ./services/identity/... \
        ./services/webapp/... ./tests/deploy/... ./tests/e2e/... ./tests/bench/...
SERVICES := catalog basket ordering payment identity webapp
GO_FILES = $(shell git ls-files --cached --others --exclude-standard '*.go')

# Tests break the broker connections of their own clients with rabbitmqctl.
# Where it is not on the PATH but Docker is, reach the compose broker's.
RABBITMQCTL ?= $(shell command -v rabbitmqctl >/dev/null 2>&1 && echo rabbitmqctl || echo "docker compose exec -T rabbitmq rabbitmqctl")
export RABBITMQCTL
# make run and the tests of the database roles run deploy/postgres/init.sql
# with psql; likewise, the compose server's when there is none here.
PSQL ?= $(shell command -v psql >/dev/null 2>&1 && echo psql || echo "docker compose exec -T postgres psql")
export PSQL

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## make sure PostgreSQL and RabbitMQ answer (use, start with compose, or install), Chromium for the browser tests (installed when missing) and the contract validator are there
	@bash deploy/scripts/ensure-deps.sh
	@bash deploy/scripts/ensure-node-tools.sh tools/asyncapi/validate

.PHONY: build
build: ## build bin/catalog, bin/basket, bin/ordering, bin/payment, bin/identity, bin/webapp
	@mkdir -p bin
	@for s in $(SERVICES); do \
		CGO_ENABLED=0 go build -trimpath -o bin/$$s ./services/$$s/cmd/$$s || exit 1; \
	done
	@echo "built: $(addprefix bin/,$(SERVICES))"

.PHONY: fmt-check
fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## go vet every package
	go vet $(PKGS)

.PHONY: validate-compose
validate-compose: ## the compose files by docker-compose v1 (config; installs Debian's docker-compose if missing) and by the Compose Specification's JSON schema (v2)
	@command -v docker-compose >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		{ echo "installing docker-compose (Debian package) to validate the compose file"; \
		  $$( [ "$$(id -u)" -eq 0 ] || echo sudo ) apt-get install -y -qq docker-compose >/dev/null || \
		  { $$( [ "$$(id -u)" -eq 0 ] || echo sudo ) apt-get update -qq && $$( [ "$$(id -u)" -eq 0 ] || echo sudo ) apt-get install -y -qq docker-compose >/dev/null; }; }; }
	docker-compose -f docker-compose.yml config -q
	docker-compose -f docker-compose.yml -f deploy/compose.ports.yml config -q
	go test -count=1 -run 'TestComposeFilesMatchTheComposeSpecSchema' ./tests/deploy
	@echo "docker-compose.yml and deploy/compose.ports.yml are valid"

.PHONY: validate-asyncapi
validate-asyncapi: ## check docs/asyncapi.yaml with the AsyncAPI parser, and every example against its schema
	@bash deploy/scripts/ensure-node-tools.sh tools/asyncapi/validate
	node tools/asyncapi/validate/validate.mjs

.PHONY: docs
docs: ## render the event contract to docs/asyncapi/index.html (AsyncAPI HTML template)
	@bash deploy/scripts/ensure-node-tools.sh tools/asyncapi/render
	node tools/asyncapi/render/render.mjs

.PHONY: test
test: deps fmt-check vet validate-compose validate-asyncapi ## deps, gofmt, go vet, compose and event-contract checks, then every test with -race
	go test -race -count=1 -timeout 10m $(PKGS)
	@$(MAKE) --no-print-directory test-disruptive

.PHONY: test-disruptive
test-disruptive: ## the tests that disturb the shared broker, alone (make test runs them)
	go test -race -count=1 -timeout 10m -p 1 -tags disruptive -run 'Disruptive' $(PKGS)

.PHONY: bench
bench: deps ## benchmarks: event bus, the event pipeline beside Watermill and pgbench, HTTP (one run, figures printed)
	go test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 20m $(PKGS)

.PHONY: run
run: build ## run all services as local processes in the foreground, logs prefixed, the storefront on http://localhost:8080 (Ctrl-C stops them; needs the servers of make deps)
	@bash deploy/scripts/run-local.sh

.PHONY: stop
stop: ## stop a shop that make run started in the background (make run &), gracefully
	@if [ -f tmp/run.pid ] && kill -0 "$$(cat tmp/run.pid)" 2>/dev/null; then \
		pid=$$(cat tmp/run.pid); kill -TERM "$$pid"; \
		for _ in $$(seq 1 60); do kill -0 "$$pid" 2>/dev/null || { echo "stopped"; exit 0; }; sleep 1; done; \
		echo "make run (pid $$pid) still runs after 60 s" >&2; exit 1; \
	else echo "no shop runs (no live pid in tmp/run.pid)"; fi

.PHONY: reset
reset: ## drop the shop's databases, queues and exchange, and tmp/logs, so that the next make run seeds afresh (asks first; YES=1 does not); compose: docker compose down -v
	@if [ -f tmp/run.pid ] && kill -0 "$$(cat tmp/run.pid)" 2>/dev/null; then echo "the shop runs: make stop first" >&2; exit 1; fi
	go run ./tests/e2e/cmd/reset $(if $(YES),-yes)
	rm -rf tmp/logs

# The operator tools run with the local Go toolchain when there is one,
# else in the tools image with compose (docker compose run --rm <tool>):
# only Docker is needed. TOOLS=compose forces the container.
TOOLS ?= $(if $(shell command -v go 2>/dev/null),go,compose)
tool = $(if $(filter go,$(TOOLS)),go run $(1),docker compose run --rm $(2))

.PHONY: demo
demo: ## walk the story against a running shop (docker compose up, or make run); Go or Docker
	$(call tool,./tests/e2e/cmd/demo,demo)

.PHONY: events
events: ## tail every event on the bus as it passes: name, id, correlation id, publisher, body (card data masked); Ctrl-C stops
	$(call tool,./tests/e2e/cmd/events,events)

.PHONY: dlq
dlq: ## list a service's parked messages, why and when, no bodies (QUEUE=basket; BODIES=1 or ID=<id> shows them, card data masked)
	@test -n "$(QUEUE)" || { echo "usage: make dlq QUEUE=<service queue> [BODIES=1 | ID=<message id>]"; exit 2; }
	$(call tool,./buildingblocks/cmd/eventbus-dlq,dlq) -queue $(QUEUE) $(if $(ID),show $(ID),list $(if $(BODIES),-bodies))

.PHONY: dlq-replay
dlq-replay: ## move a service's parked messages back to its queue (QUEUE=basket): those failed, invalid or without handler; REASON=crash-loop,forged or ID=<id>,… moves those instead
	@test -n "$(QUEUE)" || { echo "usage: make dlq-replay QUEUE=<service queue> [REASON=<reason>,…] [ID=<message id>,…]"; exit 2; }
	$(call tool,./buildingblocks/cmd/eventbus-dlq,dlq) -queue $(QUEUE) replay $(if $(REASON),-reason $(REASON)) $(if $(ID),-id $(ID))

.PHONY: kind-up
kind-up: ## the shop on a local kind cluster: build and load the images, apply deploy/k8s, port-forward 8080, 8085, 8084 (needs docker, kind, kubectl)
	@bash deploy/scripts/kind-up.sh

.PHONY: kind-down
kind-down: ## delete the kind cluster of make kind-up
	kind delete cluster --name $${KIND_CLUSTER:-eshop}

.PHONY: clean
clean: ## remove build output (make reset drops the shop's data)
	rm -rf bin
