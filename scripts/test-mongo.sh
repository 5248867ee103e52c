#!/usr/bin/env bash
# `pnpm test:mongo [tap args…]`: the store conformance suite, the API suite and the end-to-end suite
# against a real MongoDB replica set (Redis on 127.0.0.1:6379 as for `pnpm test`).
# With MONGO_URL set, that server is used (any replica set; a single node will do, e.g.
# mongodb://127.0.0.1:27017/?directConnection=true). Without it, docker-compose's `mongo` service (a
# single-node replica set published on 127.0.0.1:27017) is started, and stopped again afterwards unless
# KEEP_MONGO=1. Each test file uses databases of its own and drops them.
set -uo pipefail
cd "$(dirname "$0")/.."

started=false
if [ -z "${MONGO_URL:-}" ]; then
  if ! docker compose version >/dev/null 2>&1; then
    echo 'pnpm test:mongo needs a MongoDB replica set: set MONGO_URL, or install Docker (with Compose) to use docker-compose.yml' >&2
    exit 2
  fi
  docker compose up --detach --wait mongo || { echo 'docker compose could not start mongo' >&2; exit 1; }
  started=true
  export MONGO_URL='mongodb://127.0.0.1:27017/?directConnection=true'
fi

if [ "$#" -eq 0 ]; then
  set -- packages/store/test/mongodb-store.test.ts 'apps/api/test/**/*.test.ts' 'test/e2e/*.test.ts'
fi
TEST_STORE=mongodb pnpm exec tap "$@"
status=$?

if [ "$started" = true ] && [ -z "${KEEP_MONGO:-}" ]; then docker compose stop mongo; fi
exit "$status"
