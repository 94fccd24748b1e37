#!/usr/bin/env bash
# Builds the PostgreSQL image `--scratch=docker` and the test suite's Testcontainers path run, without a
# registry: a minimal Debian (debootstrap) with the distribution's postgresql-<major>, imported into the
# local Docker engine. Idempotent: an image already under the tag is kept (delete it to rebuild).
#
#   build/docker/postgres-image.sh [MAJOR] [TAG]     (defaults: the local PostgreSQL's major; postgres:MAJOR)
#
# The entrypoint honours what Testcontainers.PostgreSql passes (POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB, and server settings as arguments), listens on every address with scram-sha-256, and runs
# postgres in the foreground.
set -euo pipefail

major="${1:-$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)}"
[ -n "$major" ] || { echo "postgres-image: no PostgreSQL major version given or installed" >&2; exit 2; }
tag="${2:-postgres:$major}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "postgres-image: $tag already present"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { echo "postgres-image: debootstrap is missing (apt-get install debootstrap)" >&2; exit 2; }

# The mirror and suite apt already uses on this machine (no other network is assumed).
mirror="$(grep -rhoE '^(URIs:|deb) *https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | head -n 1 || true)"
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

echo "postgres-image: debootstrap $suite with postgresql-$major from ${mirror:-the default mirror} (about a minute)"
debootstrap --variant=minbase --include="postgresql-$major" "$suite" "$root" ${mirror:+"$mirror"} >"$root.log" 2>&1 \
  || { tail -n 20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Debian's package starts a cluster of its own at install time; the image's clusters come from the entrypoint.
rm -rf "$root/var/lib/postgresql/$major" "$root/etc/postgresql/$major" "$root"/var/cache/apt/archives/*.deb

cat >"$root/usr/local/bin/entrypoint" <<ENTRY
#!/bin/sh
set -eu
: "\${POSTGRES_USER:=postgres}"
: "\${POSTGRES_DB:=\$POSTGRES_USER}"
: "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
bin=/usr/lib/postgresql/$major/bin
data=/var/lib/postgresql/data
if [ ! -s "\$data/PG_VERSION" ]; then
  install -d -o postgres -g postgres -m 0700 "\$data"
  pw="\$(mktemp)"; printf '%s\n' "\$POSTGRES_PASSWORD" >"\$pw"; chown postgres "\$pw"
  runuser -u postgres -- "\$bin/initdb" -D "\$data" -U "\$POSTGRES_USER" --pwfile="\$pw" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C >/dev/null
  rm -f "\$pw"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"\$data/pg_hba.conf"
  if [ "\$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"\$POSTGRES_DB\"" | runuser -u postgres -- "\$bin/postgres" --single -D "\$data" postgres >/dev/null
  fi
  echo "PostgreSQL init process complete; ready for start up."
fi
# Arguments are the server's own (-c name=value), as with the official image: Testcontainers passes fsync=off.
exec runuser -u postgres -- "\$bin/postgres" -D "\$data" -c listen_addresses='*' -c unix_socket_directories=/tmp "\$@"
ENTRY
chmod 0755 "$root/usr/local/bin/entrypoint"

echo "postgres-image: importing as $tag"
tar -C "$root" -c . | docker import \
  -c "ENV PATH=/usr/lib/postgresql/$major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  -c "ENV PGHOST=/tmp" \
  -c 'ENTRYPOINT ["/usr/local/bin/entrypoint"]' -c "EXPOSE 5432" - "$tag" >/dev/null
echo "postgres-image: $tag built ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
