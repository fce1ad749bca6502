// Command etcd-v2-migrate moves an etcd v2 key tree into etcd's v3 key
// space, in the layout the client's APIv3 reads (docs/v3-layout.md), so an
// application can switch to client.Config{API: client.APIv3} and find its
// data. It reads the source through the client's APIv2 and never writes
// to it.
//
//	etcd-v2-migrate copy   --from URLS --to URLS [--prefix P] [--from-user U:P] [--to-user U:P] [--dry-run] [--overwrite] [--hidden KEYS] [--passwords FILE] [--no-auth]
//	etcd-v2-migrate verify --from URLS --to URLS [--prefix P] [--from-user U:P] [--to-user U:P] [--hidden KEYS] [--ttl-tolerance D] [--no-auth]
//	etcd-v2-migrate follow --from URLS --to URLS [--prefix P] [--from-user U:P] [--to-user U:P] [--hidden KEYS] [--overwrite] [--after-index N] [--passwords FILE] [--no-auth]
//
// copy reads the v2 tree at one index and writes it in transactions of up
// to 128 keys: values verbatim, empty directories, in-order keys by name,
// TTLs as leases with the time the nodes have left. A key of the target
// that differs from the source, or a key under the prefix that is not in
// the source, stops it before it writes anything, unless --overwrite.
// Running it twice writes nothing the second time.
//
// copy then copies the v2 users and roles into v3 auth (unless
// --no-auth), through the library's auth APIs on an APIv3 client: each
// role with its v2 permission paths (GrantRoleKV, which maps them onto
// the v3 keys of the layout as the package docs' "Auth on APIv3" says),
// each user with its roles. v2 does not give passwords out, so a user
// gets the password --passwords names (lines "user:password") or none
// (client.AddUserWithoutPassword), which the output says; a user the
// target has already keeps its password there (said too). v3 needs a root
// user with the root role before auth can be enabled; copy creates it.
// v2's guest role has no v3 counterpart and is left out, with a note.
// copy never enables auth on the target.
//
// verify reads both trees, the target's through the client's APIv3, and
// the users and roles of both (the target's as the library's APIv3
// GetUser and GetRole report them), and exits 1 with the list of
// differences.
//
// follow copies, then applies every v2 change after the copy's index (or
// after --after-index, skipping the copy) until interrupted, printing each
// with its lag in indexes. When v2 has cleared the history it needs (401),
// it copies again, replacing what differs and deleting what the source no
// longer has, and goes on from there. v2 does not report TTL refreshes or
// changes of hidden keys to watchers, so those wait for such a repair.
// Stopped, it prints what it applied and the index to resume from with
// --after-index.
//
// A target whose v3 auth is on needs --to-user USER[:PASSWORD] (root, to
// copy users and roles): the command logs in for a token, and again when
// etcd lets it expire.
//
// v2 leaves names starting with "_" out of listings, so hidden keys are
// copied only when named with --hidden (a key or a directory, which is
// copied whole).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/seed26e043ee/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  etcd-v2-migrate copy   --from URLS --to URLS [--prefix P] [--from-user U:P] [--to-user U:P] [--dry-run] [--overwrite] [--hidden KEYS] [--passwords FILE] [--no-auth]
  etcd-v2-migrate verify --from URLS --to URLS [--prefix P] [--from-user U:P] [--to-user U:P] [--hidden KEYS] [--ttl-tolerance D] [--no-auth]
  etcd-v2-migrate follow --from URLS --to URLS [--prefix P] [--from-user U:P] [--to-user U:P] [--hidden KEYS] [--overwrite] [--after-index N] [--passwords FILE] [--no-auth]
URLS and KEYS are comma-separated; FILE holds one "user:password" a line.
`

// options are the parsed command line.
type options struct {
	cmd                    string
	from, to               []string
	prefix                 string
	hidden                 []string
	dryRun                 bool
	overwrite              bool
	tolerance              time.Duration
	timeout                time.Duration
	fromUser, fromPassword string
	toUser, toPassword     string
	// afterIndex, for follow, resumes after an earlier copy.
	afterIndex uint64
	// passwords names the file of users' passwords; noAuth leaves users
	// and roles out.
	passwords string
	noAuth    bool
	// passwordOf holds the file's passwords, read before anything else
	// so that a bad file stops the command before it copies.
	passwordOf map[string]string
}

// userFlag reads a USER[:PASSWORD] flag; without the password, the
// environment variable env holds it (so it stays out of process lists).
func userFlag(name, value, env string) (user, password string, err error) {
	if value == "" {
		return "", "", nil
	}
	user, password, ok := strings.Cut(value, ":")
	if !ok {
		password = os.Getenv(env)
	}
	if user == "" {
		return "", "", fmt.Errorf("%w: %s %q has no user name", errUsage, name, value)
	}
	return user, password, nil
}

// passwordEnv holds the source's password when --from-user has none, so
// it need not show in the process list.
const passwordEnv = "ETCD_V2_MIGRATE_FROM_PASSWORD"

// toPasswordEnv is passwordEnv for --to-user.
const toPasswordEnv = "ETCD_V2_MIGRATE_TO_PASSWORD"

// errUsage marks a bad command line (exit 2).
var errUsage = errors.New("bad usage")

func parse(args []string, stderr io.Writer) (*options, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: no subcommand (copy, verify or follow)", errUsage)
	}
	o := &options{cmd: args[0]}
	if o.cmd != "copy" && o.cmd != "verify" && o.cmd != "follow" {
		return nil, fmt.Errorf("%w: unknown subcommand %q (copy, verify or follow)", errUsage, o.cmd)
	}
	fs := flag.NewFlagSet(o.cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "client URLs of the v2 source, comma-separated")
	to := fs.String("to", "", "client URLs of the v3 target, comma-separated")
	fs.StringVar(&o.prefix, "prefix", "", "Config.V3KeyPrefix of the applications that will read the data")
	fromUser := fs.String("from-user", "", "USER[:PASSWORD] for a source with v2 auth; without the password, $"+passwordEnv+" holds it")
	toUser := fs.String("to-user", "", "USER[:PASSWORD] for a target with v3 auth on (root, to copy users and roles); without the password, $"+toPasswordEnv+" holds it")
	hidden := fs.String("hidden", "", "hidden (\"_\"-prefixed) keys or directories to copy too, comma-separated")
	fs.BoolVar(&o.noAuth, "no-auth", false, "leave users and roles out")
	if o.cmd != "verify" {
		fs.StringVar(&o.passwords, "passwords", "", "file of \"user:password\" lines for the users copied; the others get no password")
	}
	switch o.cmd {
	case "copy":
		fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
		fs.BoolVar(&o.dryRun, "dry-run", false, "check and count, write nothing")
		fs.BoolVar(&o.overwrite, "overwrite", false, "replace target keys that differ and tolerate keys the source lacks")
	case "follow":
		fs.DurationVar(&o.timeout, "timeout", 0, "stop after this long (0: until interrupted)")
		fs.BoolVar(&o.overwrite, "overwrite", false, "as for copy, for the copy made first")
		fs.Uint64Var(&o.afterIndex, "after-index", 0, "skip the copy and follow from this v2 index (the one a copy printed)")
	default:
		fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
		fs.DurationVar(&o.tolerance, "ttl-tolerance", 5*time.Second, "how far the expirations of a node may differ")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var err error
	if o.from, err = urls("--from", *from); err != nil {
		return nil, err
	}
	if o.to, err = urls("--to", *to); err != nil {
		return nil, err
	}
	if o.fromUser, o.fromPassword, err = userFlag("--from-user", *fromUser, passwordEnv); err != nil {
		return nil, err
	}
	if o.toUser, o.toPassword, err = userFlag("--to-user", *toUser, toPasswordEnv); err != nil {
		return nil, err
	}
	for _, h := range split(*hidden) {
		if !strings.HasPrefix(h, "/") {
			return nil, fmt.Errorf("%w: --hidden %q: a key starts with /", errUsage, h)
		}
		o.hidden = append(o.hidden, h)
	}
	if o.passwordOf, err = readPasswords(o.passwords); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.timeout < 0 || (o.timeout == 0 && o.cmd != "follow") || o.tolerance < 0 {
		return nil, fmt.Errorf("%w: --timeout must be positive and --ttl-tolerance not negative", errUsage)
	}
	return o, nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func urls(flagName, s string) ([]string, error) {
	list := split(s)
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: %s is required (client URLs such as http://127.0.0.1:2379)", errUsage, flagName)
	}
	for _, u := range list {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("%w: %s: %q is not an http(s) URL such as http://127.0.0.1:2379", errUsage, flagName, u)
		}
	}
	return list, nil
}

// run is the command; it returns the exit code: 0 done, 1 failed or
// differences found, 2 bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "etcd-v2-migrate: %v\n%s", err, usage)
		return 2
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	switch o.cmd {
	case "copy":
		_, err = doCopy(ctx, o, stdout, false)
	case "follow":
		err = doFollow(ctx, o, stdout)
	default:
		err = doVerify(ctx, o, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "etcd-v2-migrate %s: %v\n", o.cmd, err)
		return 1
	}
	return 0
}

func readSource(ctx context.Context, o *options) (*tree, error) {
	src, err := newSource(o)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	t, err := readTree(ctx, client.NewKeysAPI(src), o.hidden)
	if err != nil {
		return nil, explain("source", o.from, err)
	}
	return t, nil
}

// doCopy copies the source's tree; prune (follow's repair) also replaces
// what differs and deletes what the source lacks. It returns the v2 index
// copied.
func doCopy(ctx context.Context, o *options, stdout io.Writer, prune bool) (uint64, error) {
	// Made first so a bad prefix is refused before anything is read.
	if _, err := newTarget(o); err != nil {
		return 0, fmt.Errorf("target: %w", err)
	}
	start := time.Now()
	t, err := readSource(ctx, o)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(stdout, "read %d nodes from %v at v2 index %d\n", len(t.entries), o.from, t.index)
	c := &copier{g: &gateway{endpoints: o.to, hc: httpClient(), user: o.toUser, password: o.toPassword}, prefix: o.prefix, dryRun: o.dryRun, overwrite: o.overwrite || prune, prune: prune, out: stdout, now: time.Now}
	st, err := c.run(ctx, t)
	if err != nil {
		return 0, fmt.Errorf("target %v: %w", o.to, err)
	}
	verb := "copied"
	if o.dryRun {
		verb = "dry run, would copy"
	}
	fmt.Fprintf(stdout, "%s %d keys and %d directories (%d with a TTL) from v2 index %d to %v prefix %q",
		verb, st.keys, st.dirs, st.ttls, st.index, o.to, o.prefix)
	if !o.dryRun {
		fmt.Fprintf(stdout, " in %d transactions, %d leases, up to revision %d", st.txns, st.leases, st.revision)
	}
	fmt.Fprintf(stdout, "; %d already there, %d overwritten, %d expired before copying, %d target keys not in the source (%d deleted); %s\n",
		st.present, st.overwritten, st.expired, len(st.foreign), st.pruned, time.Since(start).Round(time.Millisecond))
	// follow's repairs leave users and roles to the first copy.
	if !o.noAuth && !prune {
		if err := copyAuth(ctx, o, stdout); err != nil {
			return 0, err
		}
	}
	return t.index, nil
}

func doFollow(ctx context.Context, o *options, stdout io.Writer) error {
	after := o.afterIndex
	if after == 0 {
		var err error
		if after, err = doCopy(ctx, o, stdout, false); err != nil {
			return err
		}
	}
	src, err := newSource(o)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	tc, err := newTarget(o)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	f := &follower{
		src: client.NewKeysAPI(src),
		dst: client.NewKeysAPI(tc),
		repair: func(ctx context.Context) (uint64, error) {
			return doCopy(ctx, o, stdout, true)
		},
		out: stdout,
		now: time.Now,
	}
	return f.run(ctx, after)
}

func doVerify(ctx context.Context, o *options, stdout io.Writer) error {
	tc, err := newTarget(o)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	src, err := readSource(ctx, o)
	if err != nil {
		return err
	}
	dst, err := readTree(ctx, client.NewKeysAPI(tc), o.hidden)
	if err != nil {
		return explain("target", o.to, err)
	}
	diffs := diffTrees(src, dst, o.tolerance, time.Now())
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) == 0 {
		fmt.Fprintf(stdout, "verify: the %d nodes of %v (v2 index %d) are identical on %v prefix %q\n", len(src.entries), o.from, src.index, o.to, o.prefix)
	}
	authDiffs := 0
	if !o.noAuth {
		if authDiffs, err = verifyAuth(ctx, o, stdout); err != nil {
			return err
		}
	}
	if len(diffs)+authDiffs > 0 {
		return fmt.Errorf("%d differences between the v2 tree of %v and the v3 tree of %v prefix %q, %d between their users and roles", len(diffs), o.from, o.to, o.prefix, authDiffs)
	}
	return nil
}
