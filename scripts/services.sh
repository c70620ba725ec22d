#!/usr/bin/env bash
# Makes sure the services the tests (and the MySQL + Redis mode) need are running on this machine:
# MariaDB on 127.0.0.1:3306 with user nightshift/nightshift on databases nightshift and
# nightshift_test*, and Redis on 127.0.0.1:6379; Chromium + chromedriver for the console's browser
# tests. Installs them with apt-get when absent.
# Idempotent: safe to run again. Needs root (apt-get, the MariaDB root unix socket).
set -euo pipefail

log() { echo "services: $*"; }

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

wait_for() { # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "$what did not come up within ${seconds}s"; return 1
}

command -v java >/dev/null || { log "installing a JDK"; apt_install openjdk-17-jdk-headless; }
command -v mvn >/dev/null || { log "installing Maven"; apt_install maven; }

# Headless Chromium and its driver for the console's browser tests (Debian's matched pair; the
# tests drive /usr/bin/chromium through /usr/bin/chromedriver and download nothing).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing chromium and chromium-driver"; apt_install chromium chromium-driver
fi

# MariaDB
if ! command -v mariadbd >/dev/null && ! command -v mysqld >/dev/null; then
  log "installing MariaDB"; apt_install mariadb-server mariadb-client
fi
db_ping() { mariadb-admin -uroot ping 2>/dev/null | grep -q alive || mysqladmin -uroot ping 2>/dev/null | grep -q alive; }
if ! db_ping; then
  log "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec "$(command -v mariadbd || command -v mysqld)"
  wait_for "MariaDB" 60 db_ping
fi
mariadb -uroot <<'SQL'
CREATE DATABASE IF NOT EXISTS nightshift CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS nightshift_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS nightshift_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS nightshift_bench_quartz CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'nightshift'@'localhost' IDENTIFIED BY 'nightshift';
CREATE USER IF NOT EXISTS 'nightshift'@'127.0.0.1' IDENTIFIED BY 'nightshift';
GRANT ALL PRIVILEGES ON `nightshift%`.* TO 'nightshift'@'localhost';
GRANT ALL PRIVILEGES ON `nightshift%`.* TO 'nightshift'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
log "MariaDB ready (nightshift/nightshift on 127.0.0.1:3306)"

# Redis
command -v redis-server >/dev/null || { log "installing Redis"; apt_install redis-server; }
if ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for "Redis" 30 sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'
fi
log "Redis ready on 127.0.0.1:6379"
