# A host-side HTTP server for guests to fetch from (source this file).
#
# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
# start_http DIR LOG BIND PORT [WRAP...]: python3's HTTP server serving DIR
#   on BIND:PORT, its request log in LOG, started through WRAP (which must
#   exec it, e.g. ip netns exec NS); sets HTTP_PID and returns once the
#   server answers, or 1 after HTTP_START_TIMEOUT seconds (5; the nested
#   test bed, where python3 runs under software emulation, gives more).  The server leads a process
#   group of its own, since python3 may be a wrapper that forks (pyenv's
#   shims do), and a kill of the wrapper alone would leave the server.
# serve DIR LOG BIND PORT [WRAP...]: start_http, and the server is added to
#   the caller's SERVERS array whether it answered or not.
# stop_http PID...: stops those servers' process groups.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_http() {
	local dir=$1 log=$2 bind=$3 port=$4 i
	shift 4
	setsid "$@" python3 -m http.server --bind "$bind" --directory "$dir" "$port" \
		>"$log" 2>&1 &
	HTTP_PID=$!
	for i in $(seq $(( ${HTTP_START_TIMEOUT:-5} * 10 ))); do
		"$@" curl -s -m 2 -o /dev/null "http://$bind:$port/" && return 0
		sleep 0.1
	done
	return 1
}

stop_http() {
	local p
	for p in "$@"; do
		kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

serve() {
	local r=0
	start_http "$@" || r=1
	SERVERS+=("$HTTP_PID")
	return $r
}
