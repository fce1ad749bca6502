package etcdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Settings the tests read from the environment. None starts with ETCD_:
// etcd takes every ETCD_* variable as a flag, so a test setting of that
// form would reach (and break) the etcd processes the tests start.
const (
	// EnvVersion selects the etcd version to test against, such as
	// "3.6.16", or a release line such as "3.6" for the version this
	// project pins for it.
	EnvVersion = "ETCDTEST_VERSION"

	// EnvCacheDir overrides where built etcd binaries are kept, by
	// default <os.UserCacheDir()>/seed26e043ee-client/etcd.
	EnvCacheDir = "ETCDTEST_CACHE_DIR"

	// EnvLocations overrides the absolute paths tried after $PATH, as a
	// colon-separated list; set but empty, none is tried. It lets a test
	// of the harness act as a machine without etcd.
	EnvLocations = "ETCDTEST_LOCATIONS"
)

// DefaultVersion is the version built when no etcd binary is found and
// none is asked for: the newest release line that serves the v2 API.
const DefaultVersion = "3.5.35"

// pinned maps each supported release line to the version its module in
// internal/tools builds. etcd 3.4 has none: its module predates the
// server/v3 layout and no longer builds with current Go, so 3.4 is tested
// from an installed binary only.
var pinned = map[string]string{
	"3.5": "3.5.35",
	"3.6": "3.6.16",
	"3.7": "3.7.3",
}

// usualLocations are where packages and install scripts put etcd, tried
// when $PATH (which go test passes on unchanged) lacks it.
var usualLocations = []string{"/usr/bin/etcd", "/usr/local/bin/etcd", "/usr/sbin/etcd", "/opt/etcd/etcd", "/snap/bin/etcd"}

var versionRE = regexp.MustCompile(`^3\.(\d+)(?:\.(\d+))?$`)

// wantedVersion returns the exact version $ETCDTEST_VERSION asks for, or
// "" when it is unset, with an error for a version this project does not
// support.
func wantedVersion() (string, error) {
	raw := strings.TrimPrefix(strings.TrimSpace(os.Getenv(EnvVersion)), "v")
	if raw == "" {
		return "", nil
	}
	m := versionRE.FindStringSubmatch(raw)
	if m == nil {
		return "", fmt.Errorf("%s=%q: want a version such as 3.5.35 or a release line such as 3.6", EnvVersion, raw)
	}
	minor, _ := strconv.Atoi(m[1])
	if minor < 4 || minor > 7 {
		return "", fmt.Errorf("%s=%q: supported release lines are 3.4 (installed binary only), 3.5, 3.6 and 3.7", EnvVersion, raw)
	}
	if m[2] != "" {
		return raw, nil
	}
	if v, ok := pinned[raw]; ok {
		return v, nil
	}
	return "", fmt.Errorf("%s=%q: no version is pinned for that line; name one, such as 3.4.23", EnvVersion, raw)
}

// Found is an etcd binary located or built for the tests.
type Found struct {
	Path    string
	Version string // as "etcd --version" reports it, such as "3.5.35"
}

// ServesV2 reports whether the binary serves etcd's v2 API: 3.4 and 3.5
// do when started with --enable-v2; 3.6 removed it.
func (f Found) ServesV2() bool { return servesV2(f.Version) }

func servesV2(version string) bool {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		// "3.5.0-rc.1" and the like: judge by the release line.
		if i := strings.IndexAny(version, "-+"); i > 0 {
			return servesV2(version[:i])
		}
		return false
	}
	minor, _ := strconv.Atoi(m[1])
	return minor <= 5
}

var located struct {
	mu    sync.Mutex // guards byKey
	byKey map[string]locateResult
}

type locateResult struct {
	f   Found
	err error
}

// Locate finds the etcd binary the tests use, building it when needed:
// $ETCD_BIN if set; else, of the version $ETCDTEST_VERSION asks for (when
// unset, of any version that serves v2), "etcd" in $PATH or at the usual
// absolute locations; else a binary built
// from the Go module proxy into the cache directory, once per version
// (DefaultVersion when none is asked for). The answer is kept for the
// life of the process. Its error says what to do about it.
func Locate() (Found, error) {
	want, err := wantedVersion()
	if err != nil {
		return Found{}, err
	}
	return locateCached("bin="+os.Getenv("ETCD_BIN")+" want="+want, func() (Found, error) {
		return locate(os.Getenv("ETCD_BIN"), want)
	})
}

// LocateVersion is Locate for one exact version, whatever $ETCDTEST_VERSION
// says: $ETCD_BIN if it is that version, else an installed binary of that
// version, else one built into the cache.
func LocateVersion(version string) (Found, error) {
	etcdBin := os.Getenv("ETCD_BIN")
	return locateCached("bin="+etcdBin+" exactly="+version, func() (Found, error) {
		if etcdBin != "" {
			if v, err := binaryVersion(etcdBin); err == nil && v == version {
				return Found{Path: etcdBin, Version: v}, nil
			}
		}
		return locate("", version)
	})
}

func locateCached(key string, find func() (Found, error)) (Found, error) {
	located.mu.Lock()
	defer located.mu.Unlock()
	if r, ok := located.byKey[key]; ok {
		return r.f, r.err
	}
	f, err := find()
	if located.byKey == nil {
		located.byKey = make(map[string]locateResult)
	}
	located.byKey[key] = locateResult{f, err}
	return f, err
}

func locate(etcdBin, want string) (Found, error) {
	if etcdBin != "" {
		v, err := binaryVersion(etcdBin)
		if err != nil {
			return Found{}, fmt.Errorf("ETCD_BIN=%q: %w", etcdBin, err)
		}
		return Found{Path: etcdBin, Version: v}, nil
	}
	for _, p := range candidates() {
		v, err := binaryVersion(p)
		if err != nil || (want != "" && v != want) || (want == "" && !servesV2(v)) {
			// With no version asked for, an installed etcd 3.6 is
			// passed over: the v2 suites could not run on it.
			continue
		}
		return Found{Path: p, Version: v}, nil
	}
	if want == "" {
		want = DefaultVersion
	}
	if strings.HasPrefix(want, "3.4.") {
		return Found{}, fmt.Errorf("no etcd %s found in $PATH or at %s, and etcd 3.4 cannot be built from the module proxy: install it (Debian: apt-get install etcd-server) or set ETCD_BIN=/path/to/etcd", want, strings.Join(locations(), ", "))
	}
	p, err := built(want)
	if err != nil {
		return Found{}, err
	}
	return Found{Path: p, Version: want}, nil
}

// candidates lists the installed binaries to try, $PATH's first.
func candidates() []string {
	var ps []string
	if p, err := exec.LookPath("etcd"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		ps = append(ps, p)
	}
	for _, p := range locations() {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			ps = append(ps, p)
		}
	}
	return ps
}

func locations() []string {
	s, ok := os.LookupEnv(EnvLocations)
	if !ok {
		return usualLocations
	}
	var ps []string
	for _, p := range filepath.SplitList(s) {
		if p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

var versions struct {
	mu     sync.Mutex // guards byPath
	byPath map[string]string
}

// binaryVersion runs "bin --version", once per binary and process.
func binaryVersion(bin string) (string, error) {
	versions.mu.Lock()
	defer versions.mu.Unlock()
	if v, ok := versions.byPath[bin]; ok {
		return v, nil
	}
	cmd := exec.Command(bin, "--version")
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w\n%s", bin, err, out)
	}
	v, err := parseVersion(out)
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	if versions.byPath == nil {
		versions.byPath = make(map[string]string)
	}
	versions.byPath[bin] = v
	return v, nil
}

func parseVersion(out []byte) (string, error) {
	const prefix = "etcd Version: "
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %q line in %q", prefix, out)
}

// childEnv is the environment of every etcd process the tests start: the
// test's own, less its ETCD_* variables, which etcd would read as flags
// (ETCD_BIN included).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	return env
}

// missing ends a test that has no etcd to run against: a skip saying how
// to get one, or a failure under CI=true, where a skip would hide that the
// real-etcd tests did not run, and when $ETCD_BIN names no working etcd.
func missing(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("*** real-etcd test not run: %v ***", err)
	if os.Getenv("CI") == "true" || os.Getenv("ETCD_BIN") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Binary returns the path of the etcd binary to test against, as Locate
// finds or builds it. Without one the test is skipped with a line saying
// how to get one, or fails when CI=true.
func Binary(t testing.TB) string {
	t.Helper()
	f, err := Locate()
	if err != nil {
		missing(t, err)
	}
	return f.Path
}

// ServerVersion returns the version the etcd binary of Binary reports, such
// as "3.4.23" or "3.6.16".
func ServerVersion(t testing.TB) string {
	t.Helper()
	f, err := Locate()
	if err != nil {
		missing(t, err)
	}
	return f.Version
}

// ServesV2 reports whether the etcd binary of Binary serves the v2 API.
func ServesV2(t testing.TB) bool {
	t.Helper()
	f, err := Locate()
	if err != nil {
		missing(t, err)
	}
	return f.ServesV2()
}

// RequireV2 skips the test when the etcd binary of Binary does not serve
// the v2 API (etcd 3.6 and later), also under CI=true: testing v2 there
// is impossible, not broken. It returns the binary.
func RequireV2(t testing.TB) Found {
	t.Helper()
	f, err := Locate()
	if err != nil {
		missing(t, err)
	}
	if !f.ServesV2() {
		fix := fmt.Sprintf("unset %s, or set it to 3.5", EnvVersion)
		if os.Getenv("ETCD_BIN") != "" {
			fix = "point ETCD_BIN at one, or unset it"
		}
		t.Skipf("*** etcd %s (%s) does not serve the v2 API, which this test needs: it takes etcd 3.4 or 3.5 (%s) ***", f.Version, f.Path, fix)
	}
	return f
}

// Prepare finds or builds the etcd binary before any test starts. Call it
// from TestMain ahead of m.Run: go test's -timeout clock starts in m.Run,
// so a first run's build of several minutes does not count against the
// tests. An error is left for each test to report, through Binary.
func Prepare() {
	_, _ = Locate()
}
