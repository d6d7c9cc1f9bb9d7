#!/usr/bin/env bash
# Smoke-tests the Dockerfile: the image builds, starts, reports healthy, and exits 0 on SIGTERM.
#
# With a Docker engine it builds and runs the real image. Without one (our machines
# have none) it replays the Dockerfile itself: each stage in its own folder under a
# temporary directory, running its RUN lines, COPY lines and ENV lines in order, then
# the final stage's CMD and HEALTHCHECK with this machine's node. USER cannot be
# replayed (we may be root) and the base image is the host's Node.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
port=${SMOKE_PORT:-$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}

wait_healthy() { # url, seconds
  for _ in $(seq 1 $(($2 * 10))); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "docker-smoke: $1/healthz never answered" >&2
  return 1
}

# Whether $1 serves a page holding $2. The page is read whole before it is searched:
# `curl | grep -q` fails under pipefail when grep stops reading before curl is done.
serves() {
  local page
  page=$(curl -fsS "$1") && grep -qF -- "$2" <<<"$page"
}

if docker info >/dev/null 2>&1; then
  tag=switchboard-smoke:$$
  docker build -t "$tag" "$repo"
  id=$(docker run -d -p "127.0.0.1:$port:8080" "$tag")
  trap 'docker rm -f "$id" >/dev/null 2>&1 || true' EXIT
  wait_healthy "http://127.0.0.1:$port" 30
  serves "http://127.0.0.1:$port/ui" '<title>Switchboard' || { echo "docker-smoke: /ui not served" >&2; exit 1; }
  [ "$(docker inspect -f '{{.Config.User}}' "$tag")" = node ] || { echo "docker-smoke: image does not run as node" >&2; exit 1; }
  docker stop -t 15 "$id" >/dev/null
  code=$(docker inspect -f '{{.State.ExitCode}}' "$id")
  [ "$code" = 0 ] || { echo "docker-smoke: container exited $code after SIGTERM" >&2; exit 1; }
  echo "docker-smoke: OK (docker image $tag)"
  exit 0
fi

echo "docker-smoke: no Docker engine; replaying the Dockerfile's steps with the host's node"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

stage= workdir= cmd_json= health_json=
declare -A stage_env

run_in_stage() { # the rest of the line, as a shell command
  # A private npm cache: the replay's `npm cache clean` must not empty the host's.
  (cd "$tmp/$stage$workdir" && env npm_config_cache="$tmp/npm-cache" ${stage_env[$stage]:-} bash -c "$1")
}

copy() { # [--from=stage] src... dest
  local from_root=$repo
  if [[ $1 == --from=* ]]; then from_root="$tmp/${1#--from=}"; shift; fi
  local args=("$@") dest=${!#}
  [[ $dest == /* ]] || dest="$workdir/$dest"
  mkdir -p "$tmp/$stage$dest"
  for src in "${args[@]:0:$#-1}"; do
    [[ $from_root == "$repo" ]] && src="$repo/$src" || src="$from_root$src"
    if [ -d "$src" ]; then cp -R "$src/." "$tmp/$stage$dest/"; else cp "$src" "$tmp/$stage$dest/"; fi
  done
}

# Join continuation lines, drop comments, then act on each instruction.
while read -r instruction rest; do
  case "${instruction^^}" in
    FROM) stage=${rest##* AS }; workdir=/; mkdir -p "$tmp/$stage"; echo "  stage $stage" ;;
    WORKDIR) workdir=$rest; mkdir -p "$tmp/$stage$workdir" ;;
    ENV) stage_env[$stage]="${stage_env[$stage]:-} $rest" ;;
    COPY) echo "  COPY $rest"; copy $rest ;;
    RUN) echo "  RUN $rest"; run_in_stage "$rest" >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log" >&2; exit 1; } ;;
    CMD) cmd_json=$rest ;;
    HEALTHCHECK) health_json=${rest#*CMD } ;;
    USER | EXPOSE) echo "  $instruction $rest (not replayed)" ;;
    *) echo "docker-smoke: cannot replay '$instruction'" >&2; exit 1 ;;
  esac
done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$repo/Dockerfile" | grep -v '^\s*#' | grep -v '^\s*$')

root="$tmp/$stage$workdir"
[ ! -e "$root/node_modules/typescript" ] || { echo "docker-smoke: dev dependencies in the runtime stage" >&2; exit 1; }
mapfile -d '' cmd < <(node -e 'for (const a of JSON.parse(process.argv[1])) process.stdout.write(a + "\0")' "$cmd_json")
mapfile -d '' health < <(node -e 'for (const a of JSON.parse(process.argv[1])) process.stdout.write(a + "\0")' "$health_json")

cd "$root"
env ${stage_env[$stage]:-} PORT="$port" HOST=127.0.0.1 "${cmd[@]}" >"$tmp/hub.log" 2>&1 &
pid=$!
wait_healthy "http://127.0.0.1:$port" 20 || { cat "$tmp/hub.log" >&2; exit 1; }
env PORT="$port" "${health[@]}" || { echo "docker-smoke: HEALTHCHECK command failed" >&2; exit 1; }
# The image carries the dashboard's files and the metrics.
serves "http://127.0.0.1:$port/ui" '<title>Switchboard' || { echo "docker-smoke: /ui not served" >&2; exit 1; }
serves "http://127.0.0.1:$port/metrics" 'TYPE switchboard_calls_total counter' || { echo "docker-smoke: /metrics not served" >&2; exit 1; }
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=
[ "$code" = 0 ] || { cat "$tmp/hub.log" >&2; echo "docker-smoke: exited $code after SIGTERM" >&2; exit 1; }
echo "docker-smoke: OK (replayed: build, start, /healthz, HEALTHCHECK, /ui, /metrics, SIGTERM -> exit 0)"
