#!/bin/sh
# Starts a Redis node or a Sentinel from its own copy of a template, kept in its volume:
#   start.sh TEMPLATE [LINE...]
# The copy, with each LINE added, is made on first start only: Sentinel rewrites it at a
# failover (roles, replicas, other Sentinels), and a restart must not undo that.
# Then the image's entrypoint runs redis-server as the redis user.
set -eu
template=$1
shift
if [ ! -f /data/node.conf ]; then
  cp "/etc/redis-cluster/$template" /data/node.conf
  for line in "$@"; do
    echo "$line" >> /data/node.conf
  done
fi
case "$template" in
  sentinel.conf) exec docker-entrypoint.sh redis-server /data/node.conf --sentinel ;;
  *) exec docker-entrypoint.sh redis-server /data/node.conf ;;
esac
