#!/usr/bin/env bash
# hashicorp/go-plugin's launch to first call on this machine, for comparison
# with stockade's (`bench_launch_breakdown`, "runtime: start + first execute";
# `bench_supervisor_roundtrip --json`, `launch_first_call_ms`).
#
#   bench/go-plugin-launch.sh [--rounds N] [--with-stockade BUILD_DIR]
#                             [--alternations K] [--no-install]
#
# Installs what is missing from Debian's packages (golang-go, go-plugin and
# the -dev packages it imports), writes a tiny Go host and Go plugin of our
# own into a temp dir, builds them in GOPATH mode against /usr/share/gocode
# (no network besides apt), and runs the host. One host process does N rounds
# (default 21; the first is a warm-up and is not counted), each round, in
# this order:
#   floor   fork+exec+wait of the plugin binary with no handshake env (it
#           prints go-plugin's "This binary is a plugin" and exits at once)
#   netrpc  plugin.NewClient -> Client() -> Dispense -> first 16 B Echo
#           returned, over go-plugin's net/rpc (yamux on a unix socket)
#   grpc    the same over go-plugin's gRPC transport (one unary method with a
#           hand-written service descriptor and message: no protoc)
# then client.Kill(), not timed. Medians are the upper middle value, as in
# bench/bench_stats.h.
#
# --with-stockade BUILD_DIR runs BUILD_DIR/bench/bench_launch_breakdown 11
# between the go runs (go, stockade, go, stockade, ...; K alternations,
# default 3) and sets stockade's "runtime: start + first execute" median
# beside go-plugin's. The last line printed is a JSON object.
#
# Plugins are built with CGO_ENABLED=0 (static, as HashiCorp ships its own
# plugins) unless CGO_ENABLED is set in the environment.
set -euo pipefail

rounds=21
alternations=
stockade_build=
install=1
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --with-stockade) stockade_build=${2:?--with-stockade needs a build directory}; shift 2 ;;
    --alternations) alternations=${2:?--alternations needs a number}; shift 2 ;;
    --no-install) install=0; shift ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
if ! [[ $rounds =~ ^[0-9]+$ ]] || [ "$rounds" -lt 2 ]; then
  echo "--rounds: a number >= 2 (one is the warm-up)" >&2; exit 2
fi
if [ -n "$stockade_build" ]; then
  alternations=${alternations:-3}
  bench_breakdown=$stockade_build/bench/bench_launch_breakdown
else
  alternations=1
fi
[[ $alternations =~ ^[1-9][0-9]*$ ]] || { echo "--alternations: a number >= 1" >&2; exit 2; }

# --- Debian packages ---------------------------------------------------------
# go-plugin 1.0.1's own Depends omit grpc and x/net, which its non-test files
# import (grpc_client.go, grpc_server.go, ...); grpc pulls in protobuf and
# genproto.
packages=(golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev golang-golang-x-net-dev)
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$install" = 0 ] || [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them as root: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/go-plugin-launch-apt.log 2>&1; then
    # An old or empty package list: refresh it once and try again.
    apt-get update -q >>/tmp/go-plugin-launch-apt.log 2>&1 || true
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/go-plugin-launch-apt.log 2>&1 || {
      tail -5 /tmp/go-plugin-launch-apt.log >&2
      echo "apt-get install ${missing[*]} failed (log: /tmp/go-plugin-launch-apt.log)" >&2
      exit 1
    }
  fi
fi
gocode=/usr/share/gocode
for d in github.com/hashicorp/go-plugin google.golang.org/grpc golang.org/x/net/context github.com/hashicorp/go-hclog; do
  [ -d "$gocode/src/$d" ] || { echo "not found: $gocode/src/$d (is its Debian -dev package installed?)" >&2; exit 1; }
done
go=/usr/bin/go   # Debian's (golang-go), whatever else is on PATH
[ -x "$go" ] || go=$(command -v go) || { echo "no go toolchain (apt-get install golang-go)" >&2; exit 1; }
version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
goplugin_version=$(version_of golang-github-hashicorp-go-plugin-dev)
grpc_version=$(version_of golang-google-grpc-dev)

if [ -n "$stockade_build" ] && [ ! -d "$stockade_build" ]; then
  echo "--with-stockade: no such build directory: $stockade_build" >&2; exit 2
fi
if [ -n "$stockade_build" ] && [ ! -e "$bench_breakdown" ]; then
  echo "note: $bench_breakdown not there yet (being rebuilt?); will retry when it is needed" >&2
fi

work=$(mktemp -d /tmp/go-plugin-launch.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
src=$work/gopath/src/stockadebench
mkdir -p "$src/echo" "$src/host" "$src/plugin" "$work/gocache" "$work/bin"

# --- the Go code -------------------------------------------------------------
cat >"$src/echo/echo.go" <<'EOF'
// Package echo is what the bench's host and plugin share: one method, Echo,
// served over go-plugin's net/rpc transport (protocol version 1) and over its
// gRPC transport (protocol version 2).
package echo

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/rpc"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Echoer answers with the bytes it was given.
type Echoer interface {
	Echo(p []byte) ([]byte, error)
}

const (
	NetRPCVersion = 1
	GRPCVersion   = 2
)

// Handshake is the cookie both sides agree on; the host sets ProtocolVersion
// to the transport it wants.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  NetRPCVersion,
	MagicCookieKey:   "STOCKADE_BENCH_GO_PLUGIN",
	MagicCookieValue: "launch-to-first-call",
}

// ---- net/rpc ----

type RPCPlugin struct{ Impl Echoer }

func (p *RPCPlugin) Server(*plugin.MuxBroker) (interface{}, error) {
	return &rpcServer{impl: p.Impl}, nil
}

func (p *RPCPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &rpcClient{c: c}, nil
}

type rpcServer struct{ impl Echoer }

func (s *rpcServer) Echo(in []byte, out *[]byte) error {
	r, err := s.impl.Echo(in)
	*out = r
	return err
}

type rpcClient struct{ c *rpc.Client }

func (c *rpcClient) Echo(p []byte) ([]byte, error) {
	var out []byte
	err := c.c.Call("Plugin.Echo", p, &out)
	return out, err
}

// ---- gRPC, without protoc ----
//
// blob is `message Blob { bytes data = 1; }` encoded by hand. It has the
// Marshal/Unmarshal methods that grpc's proto codec calls directly.
type blob struct{ data []byte }

func (m *blob) Reset()         { m.data = nil }
func (m *blob) String() string { return fmt.Sprintf("blob{%d bytes}", len(m.data)) }
func (*blob) ProtoMessage()    {}

func (m *blob) Marshal() ([]byte, error) {
	if len(m.data) == 0 {
		return []byte{}, nil
	}
	var n [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(n[:], uint64(len(m.data)))
	b := make([]byte, 0, 1+l+len(m.data))
	b = append(b, 1<<3|2) // field 1, length-delimited
	b = append(b, n[:l]...)
	return append(b, m.data...), nil
}

var errWire = errors.New("blob: malformed protobuf")

func (m *blob) Unmarshal(b []byte) error {
	m.data = nil
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errWire
		}
		b = b[n:]
		switch key & 7 {
		case 0: // varint: skip
			if _, n = binary.Uvarint(b); n <= 0 {
				return errWire
			}
			b = b[n:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errWire
			}
			v := b[n : n+int(l)]
			b = b[n+int(l):]
			if key>>3 == 1 {
				m.data = append([]byte(nil), v...)
			}
		default:
			return errWire
		}
	}
	return nil
}

const echoMethod = "/stockadebench.Echo/Echo"

func echoHandler(srv interface{}, ctx context.Context, dec func(interface{}) error,
	intercept grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(blob)
	if err := dec(in); err != nil {
		return nil, err
	}
	call := func(_ context.Context, req interface{}) (interface{}, error) {
		out, err := srv.(Echoer).Echo(req.(*blob).data)
		if err != nil {
			return nil, err
		}
		return &blob{data: out}, nil
	}
	if intercept == nil {
		return call(ctx, in)
	}
	return intercept(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: echoMethod}, call)
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: "stockadebench.Echo",
	HandlerType: (*Echoer)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Echo", Handler: echoHandler}},
	Metadata:    "hand-written (no .proto file)",
}

type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Echoer
}

func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&serviceDesc, p.Impl)
	return nil
}

func (p *GRPCPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &grpcClient{ctx: ctx, conn: c}, nil
}

type grpcClient struct {
	ctx  context.Context
	conn *grpc.ClientConn
}

func (c *grpcClient) Echo(p []byte) ([]byte, error) {
	out := new(blob)
	err := c.conn.Invoke(c.ctx, echoMethod, &blob{data: p}, out)
	return out.data, err
}
EOF

cat >"$src/plugin/main.go" <<'EOF'
// The plugin: serves Echo over net/rpc (version 1) or gRPC (version 2),
// whichever the host asks for.
package main

import (
	plugin "github.com/hashicorp/go-plugin"

	"stockadebench/echo"
)

type echoer struct{}

func (echoer) Echo(p []byte) ([]byte, error) { return p, nil }

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: echo.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			echo.NetRPCVersion: {"echo": &echo.RPCPlugin{Impl: echoer{}}},
			echo.GRPCVersion:   {"echo": &echo.GRPCPlugin{Impl: echoer{}}},
		},
		GRPCServer: plugin.DefaultGRPCServer,
	})
}
EOF

cat >"$src/host/main.go" <<'EOF'
// The host: rounds of (bare exec of the plugin, net/rpc launch to first
// call, gRPC launch to first call), interleaved; prints the samples in ms.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"stockadebench/echo"
)

var payload = []byte("0123456789abcdef") // 16 bytes

// floor: fork+exec+wait of the plugin, no handshake cookie: it exits 1.
func floor(path string) (time.Duration, error) {
	cmd := exec.Command(path)
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return 0, err
	}
	return d, nil
}

func launch(path string, version int, p plugin.Plugin, proto plugin.Protocol,
	logger hclog.Logger) (time.Duration, error) {
	hs := echo.Handshake
	hs.ProtocolVersion = uint(version)
	t0 := time.Now()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  hs,
		Plugins:          map[string]plugin.Plugin{"echo": p},
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{proto},
		Logger:           logger,
	})
	defer client.Kill() // after the clock stopped
	rpc, err := client.Client()
	if err != nil {
		return 0, err
	}
	raw, err := rpc.Dispense("echo")
	if err != nil {
		return 0, err
	}
	out, err := raw.(echo.Echoer).Echo(payload)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(out, payload) {
		return 0, fmt.Errorf("echo answered %q", out)
	}
	return d, nil
}

func main() {
	path := flag.String("plugin", "", "plugin binary")
	rounds := flag.Int("rounds", 21, "rounds, the first a warm-up")
	protos := flag.String("protocols", "netrpc,grpc", "which transports")
	flag.Parse()
	if *path == "" || *rounds < 2 {
		fmt.Fprintln(os.Stderr, "usage: host -plugin PATH [-rounds N>=2] [-protocols netrpc,grpc]")
		os.Exit(2)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Warn, Output: os.Stderr})
	type kind struct {
		name string
		run  func() (time.Duration, error)
	}
	kinds := []kind{{"floor", func() (time.Duration, error) { return floor(*path) }}}
	for _, p := range strings.Split(*protos, ",") {
		switch p {
		case "netrpc":
			kinds = append(kinds, kind{p, func() (time.Duration, error) {
				return launch(*path, echo.NetRPCVersion, &echo.RPCPlugin{}, plugin.ProtocolNetRPC, logger)
			}})
		case "grpc":
			kinds = append(kinds, kind{p, func() (time.Duration, error) {
				return launch(*path, echo.GRPCVersion, &echo.GRPCPlugin{}, plugin.ProtocolGRPC, logger)
			}})
		default:
			fmt.Fprintf(os.Stderr, "unknown protocol %q\n", p)
			os.Exit(2)
		}
	}
	samples := make([][]string, len(kinds))
	for r := 0; r < *rounds; r++ {
		for i, k := range kinds {
			d, err := k.run()
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s, round %d: %v\n", k.name, r, err)
				os.Exit(1)
			}
			if r > 0 { // round 0 is the warm-up
				samples[i] = append(samples[i], fmt.Sprintf("%.3f", float64(d.Nanoseconds())/1e6))
			}
		}
	}
	fmt.Println("go-version", runtime.Version())
	for i, k := range kinds {
		fmt.Println("samples", k.name, strings.Join(samples[i], " "))
	}
}
EOF

# --- build --------------------------------------------------------------------
export GO111MODULE=off GOPATH="$work/gopath:$gocode" GOCACHE="$work/gocache" \
       GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=${CGO_ENABLED:-0}
echo "building with $("$go" version | cut -d' ' -f3-) (GOPATH mode, CGO_ENABLED=$CGO_ENABLED)," \
     "go-plugin $goplugin_version, grpc $grpc_version"
(cd "$src" &&
  "$go" build -o "$work/bin/plugin" ./plugin &&
  "$go" build -o "$work/bin/host" ./host) >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  echo "build of the Go host/plugin failed (above)" >&2
  exit 1
}

# --- run ------------------------------------------------------------------------
stats() {  # "v1 v2 ..." -> "median min max" (upper middle, as bench_stats.h)
  tr ' ' '\n' <<<"$1" | grep . | sort -g |
    awk '{a[NR]=$1} END {printf "%.2f %.2f %.2f\n", a[int(NR/2)+1], a[1], a[NR]}'
}
run_go() {  # appends to floor_all, netrpc_all, grpc_all; sets *_med for this run
  local out
  # The host's stderr (go-plugin's and yamux's own log lines: a net/rpc
  # Kill() warns that the plugin "failed to exit gracefully", since
  # Control.Quit gets EOF for an answer) is shown only if the host fails.
  out=$("$work/bin/host" -plugin "$work/bin/plugin" -rounds "$rounds" 2>"$work/host.err") || {
    tail -20 "$work/host.err" >&2; echo "the go-plugin host failed" >&2; exit 1; }
  go_version=$(awk '$1 == "go-version" {print $2}' <<<"$out")
  local f n g
  f=$(awk '$2 == "floor" {$1 = $2 = ""; print}' <<<"$out")
  n=$(awk '$2 == "netrpc" {$1 = $2 = ""; print}' <<<"$out")
  g=$(awk '$2 == "grpc" {$1 = $2 = ""; print}' <<<"$out")
  floor_all+=" $f"; netrpc_all+=" $n"; grpc_all+=" $g"
  floor_med=$(stats "$f" | cut -d' ' -f1)
  netrpc_med=$(stats "$n" | cut -d' ' -f1)
  grpc_med=$(stats "$g" | cut -d' ' -f1)
}
run_stockade() {  # sets stockade_med; retries while the build is being redone
  local try out
  for try in 1 2 3 4 5; do
    if [ -x "$bench_breakdown" ] &&
       out=$("$bench_breakdown" 11 2>"$work/stockade.err") &&
       stockade_med=$(awk '/runtime: start \+ first execute/ {print $(NF-1); exit}' <<<"$out") &&
       [ -n "$stockade_med" ]; then
      return 0
    fi
    echo "bench_launch_breakdown missing or failed (try $try of 5); retrying in 60 s" >&2
    tail -3 "$work/stockade.err" 2>/dev/null >&2 || true
    sleep 60
  done
  echo "gave up on $bench_breakdown" >&2
  exit 1
}

floor_all='' netrpc_all='' grpc_all='' stockade_meds=''
echo "$rounds rounds per go run (first a warm-up), $alternations run(s); ms"
if [ -n "$stockade_build" ]; then
  printf '%-4s %8s %10s %10s %14s %16s\n' run floor netrpc grpc stockade stockade/netrpc
else
  printf '%-4s %8s %10s %10s\n' run floor netrpc grpc
fi
for a in $(seq "$alternations"); do
  run_go
  if [ -n "$stockade_build" ]; then
    run_stockade
    stockade_meds+=" $stockade_med"
    printf '%-4s %8s %10s %10s %14s %15.2fx\n' "$a" "$floor_med" "$netrpc_med" "$grpc_med" \
      "$stockade_med" "$(awk "BEGIN {print $stockade_med / $netrpc_med}")"
  else
    printf '%-4s %8s %10s %10s\n' "$a" "$floor_med" "$netrpc_med" "$grpc_med"
  fi
done

read -r f_med f_min f_max < <(stats "$floor_all")
read -r n_med n_min n_max < <(stats "$netrpc_all")
read -r g_med g_min g_max < <(stats "$grpc_all")
count=$(wc -w <<<"$netrpc_all")
echo
echo "go-plugin $goplugin_version (Debian), $go_version, grpc $grpc_version; $count launches each, ms"
printf '  %-52s %6s  (%s-%s)\n' "bare fork+exec+wait of the plugin (floor)" "$f_med" "$f_min" "$f_max"
printf '  %-52s %6s  (%s-%s)  %.2fx floor\n' "go-plugin net/rpc: NewClient..first Echo returned" \
  "$n_med" "$n_min" "$n_max" "$(awk "BEGIN {print $n_med / $f_med}")"
printf '  %-52s %6s  (%s-%s)  %.2fx floor\n' "go-plugin gRPC:    NewClient..first Echo returned" \
  "$g_med" "$g_min" "$g_max" "$(awk "BEGIN {print $g_med / $f_med}")"
json="{\"go_plugin_netrpc_launch_ms\": $n_med, \"go_plugin_grpc_launch_ms\": $g_med, \"go_floor_exec_ms\": $f_med"
if [ -n "$stockade_build" ]; then
  read -r s_med s_min s_max < <(stats "$stockade_meds")
  printf '  %-52s %6s  (%s-%s)  medians of %d runs of 11\n' "stockade runtime: start + first execute" \
    "$s_med" "$s_min" "$s_max" "$alternations"
  printf '  stockade / go-plugin net/rpc: %.2fx   stockade / go-plugin gRPC: %.2fx\n' \
    "$(awk "BEGIN {print $s_med / $n_med}")" "$(awk "BEGIN {print $s_med / $g_med}")"
  json+=", \"stockade_launch_first_call_ms\": $s_med"
fi
echo "$json}"
