#!/bin/sh
# Installs the peers that "gengxin bench network" measures against, from Debian:
# OSMnx 1.2.3 and NetworkX (python3-osmnx), scipy (python3-scipy), scikit-learn
# (python3-sklearn, which OSMnx needs to snap points to nodes), osmium-tool (to
# turn PBF into the OSM XML that OSMnx 1.2.3 reads) and pgRouting for PostgreSQL 15.
# Safe to run again: it does nothing when everything is already installed.
#
# Usage: sudo sh bench/peers/setup.sh [--no-pgrouting]
set -eu

packages="python3-osmnx python3-scipy python3-networkx python3-sklearn osmium-tool time"
if [ "${1:-}" != "--no-pgrouting" ]; then
	packages="$packages postgresql-15-pgrouting"
fi

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "peers: all installed ($packages)"
	exit 0
fi

echo "peers: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
echo "peers: done"
