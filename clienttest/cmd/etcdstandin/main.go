// Command etcdstandin stands in for the etcd binary in development and
// tests: it serves the v2 API of etcd 3.4 (keys, watches, members, auth,
// /version, /health) and the v3 JSON gateway that client.APIv3 uses
// (clienttest's emulation of etcd 3.6's) from memory, as one clienttest
// server, until SIGTERM or SIGINT.
//
//	go run github.com/seed26e043ee/client/clienttest/cmd/etcdstandin \
//	    --name n1 --listen-client-urls http://127.0.0.1:2379 \
//	    --advertise-client-urls http://127.0.0.1:2379
//
// It takes etcd's own flags for what it supports: --name, --data-dir
// (accepted, ignored: everything is in memory and lost on exit),
// --listen-client-urls and --advertise-client-urls (one URL each),
// --listen-peer-urls (the port is held, never served),
// --initial-advertise-peer-urls, --initial-cluster, --enable-v2 (only true:
// the v2 API is always served), --auth-token (only simple),
// --auth-token-ttl (seconds a v3 token lives unused) and --version, which
// prints "etcd Version: 3.4.23-clienttest".
//
// Several processes do not form one cluster: an --initial-cluster that
// names more than one member is refused with a message, since members in
// separate processes would not share their keys. Use clienttest.WithMembers
// from Go for a cluster in one process.
//
// etcd flags that tune what an in-memory server does not have (raft
// timings, logging, snapshots, cluster tokens) are accepted and each
// reported on stderr as ignored; any other flag is an error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/seed26e043ee/client/clienttest"
)

// versionSuffix marks the version this command reports as not etcd's own,
// so tools that parse "etcd Version:" can tell the two apart.
const versionSuffix = "-clienttest"

// ignoredFlags are etcd flags taken and dropped: each has no meaning for a
// server in memory.
var ignoredFlags = []string{
	"initial-cluster-state", "initial-cluster-token", "heartbeat-interval", "election-timeout",
	"snapshot-count", "logger", "log-outputs", "log-level", "strict-reconfig-check",
	"max-snapshots", "max-wals", "quota-backend-bytes", "auto-compaction-retention",
	"auto-compaction-mode", "listen-metrics-urls", "debug",
}

// options are the parsed flags.
type options struct {
	name, dataDir          string
	listenClient, advertis string
	listenPeer, advPeer    string
	initialCluster         string
	enableV2               bool
	authToken              string
	authTokenTTL           uint
	version                bool
	ignored                []string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("etcdstandin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.name, "name", "default", "member name")
	fs.StringVar(&o.dataDir, "data-dir", "", "ignored: the stand-in keeps everything in memory")
	fs.StringVar(&o.listenClient, "listen-client-urls", "http://localhost:2379", "the one client URL to listen on")
	fs.StringVar(&o.advertis, "advertise-client-urls", "", "the one client URL the members API lists (default: the listen URL)")
	fs.StringVar(&o.listenPeer, "listen-peer-urls", "", "peer URLs whose ports are held, never served")
	fs.StringVar(&o.advPeer, "initial-advertise-peer-urls", "", "peer URLs the members API lists")
	fs.StringVar(&o.initialCluster, "initial-cluster", "", "name=peerURL,...; only this member may be named: processes do not join into one cluster, so naming others is refused")
	fs.BoolVar(&o.enableV2, "enable-v2", true, "must be true: the stand-in always serves the v2 API (besides the v3 gateway)")
	fs.StringVar(&o.authToken, "auth-token", "simple", "the v3 token type; only \"simple\" (etcd's default)")
	fs.UintVar(&o.authTokenTTL, "auth-token-ttl", 300, "seconds a v3 simple token lives unused")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	for _, name := range ignoredFlags {
		fs.Func(name, "ignored (no meaning in memory)", func(string) error {
			o.ignored = append(o.ignored, name)
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

// memberConfig turns the flags into the server's member configuration.
func (o *options) memberConfig() (clienttest.MemberConfig, error) {
	mc := clienttest.MemberConfig{Name: o.name}
	if !o.enableV2 {
		return mc, errors.New("--enable-v2=false: the stand-in always serves the v2 API, beside the v3 gateway; it cannot turn it off")
	}
	if o.authToken != "simple" {
		return mc, fmt.Errorf("--auth-token=%s: the stand-in gives simple tokens only", o.authToken)
	}
	if o.authTokenTTL == 0 {
		return mc, errors.New("--auth-token-ttl=0: a token must live at least a second")
	}
	listen, err := oneURL("--listen-client-urls", o.listenClient)
	if err != nil {
		return mc, err
	}
	mc.ListenAddr = listen.Host
	if o.advertis != "" {
		adv, err := oneURL("--advertise-client-urls", o.advertis)
		if err != nil {
			return mc, err
		}
		mc.AdvertiseClientURL = adv.String()
	}
	if o.advPeer != "" {
		mc.PeerURLs = splitList(o.advPeer)
	}
	if o.initialCluster != "" {
		var others []string
		for _, entry := range splitList(o.initialCluster) {
			name, peer, ok := strings.Cut(entry, "=")
			if !ok {
				return mc, fmt.Errorf("--initial-cluster: %q is not name=peerURL", entry)
			}
			if name != o.name {
				others = append(others, name)
				continue
			}
			if len(mc.PeerURLs) == 0 {
				mc.PeerURLs = append(mc.PeerURLs, peer)
			}
		}
		if len(others) > 0 {
			return mc, fmt.Errorf("--initial-cluster names other members (%s): the stand-in serves one member in memory and cannot form a cluster with other processes; use clienttest.WithMembers from Go for a cluster in one process", strings.Join(others, ", "))
		}
	}
	return mc, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// oneURL parses a flag that must hold exactly one http URL with a port.
func oneURL(flagName, v string) (*url.URL, error) {
	urls := splitList(v)
	if len(urls) != 1 {
		return nil, fmt.Errorf("%s: the stand-in takes exactly one URL, got %q", flagName, v)
	}
	u, err := url.Parse(urls[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%s: only http URLs are served, got %q", flagName, urls[0])
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return nil, fmt.Errorf("%s: %q has no host:port: %w", flagName, urls[0], err)
	}
	return u, nil
}

// holdPeerPorts binds the --listen-peer-urls ports, as etcd would, so a
// clash shows at start and no one else takes them; nothing is served.
func holdPeerPorts(v string) ([]net.Listener, error) {
	var ls []net.Listener
	for _, s := range splitList(v) {
		u, err := url.Parse(s)
		if err == nil {
			var l net.Listener
			if l, err = net.Listen("tcp", u.Host); err == nil {
				ls = append(ls, l)
				continue
			}
		}
		for _, l := range ls {
			l.Close()
		}
		return nil, fmt.Errorf("--listen-peer-urls %s: %w", s, err)
	}
	return ls, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "etcdstandin: %v\n", err)
		return 2
	}
	if o.version {
		fmt.Fprintf(stdout, "etcd Version: %s%s\nGit SHA: clienttest\nGo Version: %s\nGo OS/Arch: %s/%s\n",
			clienttest.ServerVersion, versionSuffix, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	if o.dataDir != "" {
		fmt.Fprintf(stderr, "etcdstandin: ignoring --data-dir %s: everything is kept in memory and lost on exit\n", o.dataDir)
	}
	for _, name := range o.ignored {
		fmt.Fprintf(stderr, "etcdstandin: ignoring --%s: it has no meaning for a server in memory\n", name)
	}
	mc, err := o.memberConfig()
	if err != nil {
		fmt.Fprintf(stderr, "etcdstandin: %v\n", err)
		return 2
	}
	peers, err := holdPeerPorts(o.listenPeer)
	if err != nil {
		fmt.Fprintf(stderr, "etcdstandin: %v\n", err)
		return 1
	}
	defer func() {
		for _, l := range peers {
			l.Close()
		}
	}()
	srv, err := clienttest.Start(clienttest.WithMemberConfigs(mc), clienttest.WithV3TokenTTL(time.Duration(o.authTokenTTL)*time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "etcdstandin: %v\n", err)
		return 1
	}
	defer srv.Close()
	m := srv.Member(0)
	fmt.Fprintf(stderr, "etcdstandin: member %s (%s) serving the v2 API and the v3 gateway on %s, advertised as %s, peer URLs %v\n",
		m.Name(), m.ID(), m.URL(), m.AdvertisedURL(), m.PeerURLs())
	<-ctx.Done()
	fmt.Fprintf(stderr, "etcdstandin: %v; shutting down\n", context.Cause(ctx))
	return 0
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
