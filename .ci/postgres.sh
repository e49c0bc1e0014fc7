#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on 127.0.0.1 for the test suite and prints its URL.
# Installs the distribution's server first when the machine has none.
set -euo pipefail

# Below the kernel's ephemeral range (32768-60999 here): a port there can be held, unseen by the
# check below, as the local end of some client's connection, and the server then fails to bind.
port="${PGPORT_TEST:-25432}"
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
  echo "installing PostgreSQL from the distribution's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

run_as_postgres() {
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/bash -c "$*"
  else
    bash -c "$*"
  fi
}

data=$(mktemp -d /tmp/outreach-bot-pg.XXXXXX)
chmod 700 "$data"
[ "$(id -u)" = "0" ] && chown postgres "$data"
run_as_postgres "'$bindir/initdb' -D '$data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
run_as_postgres "'$bindir/pg_ctl' -D '$data' -l '$data/server.log' -w -o \"-p $port -k '$data' -c listen_addresses=127.0.0.1 -c fsync=off\" start" >&2
echo "postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
