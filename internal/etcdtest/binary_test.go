package etcdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestWantedVersion(t *testing.T) {
	tests := []struct {
		env, want string
		wantErr   bool
	}{
		{env: "", want: ""},
		{env: "3.6.16", want: "3.6.16"},
		{env: "v3.5.21", want: "3.5.21"},
		{env: "3.4.23", want: "3.4.23"},
		{env: "3.5", want: "3.5.35"},
		{env: "3.7", want: "3.7.3"},
		{env: "3.4", wantErr: true}, // no pinned 3.4: it is not built
		{env: "3.8.0", wantErr: true},
		{env: "3.3.27", wantErr: true},
		{env: "2.3.8", wantErr: true},
		{env: "latest", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(EnvVersion, tc.env)
			got, err := wantedVersion()
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("wantedVersion() with %s=%q = %q, %v; want %q, error %v", EnvVersion, tc.env, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestServesV2(t *testing.T) {
	for v, want := range map[string]bool{
		"3.4.23": true, "3.5.35": true, "3.5.0-rc.1": true,
		"3.6.16": false, "3.7.3": false, "3.6.0-alpha.0": false, "": false,
	} {
		if got := (Found{Version: v}).ServesV2(); got != want {
			t.Errorf("Found{Version: %q}.ServesV2() = %v, want %v", v, got, want)
		}
	}
}

// TestChildEnv checks that no ETCD_* variable of the test reaches etcd,
// which would read ETCD_VERSION=3.6.16 as a flag and refuse to start.
func TestChildEnv(t *testing.T) {
	t.Setenv("ETCD_VERSION", "3.6.16")
	t.Setenv("ETCD_BIN", "/nowhere/etcd")
	t.Setenv("ETCDTEST_KEEP", "yes")
	env := childEnv()
	for _, kv := range env {
		if strings.HasPrefix(kv, "ETCD_") {
			t.Errorf("childEnv() passes %s on", kv)
		}
	}
	if !slices.Contains(env, "ETCDTEST_KEEP=yes") {
		t.Errorf("childEnv() dropped ETCDTEST_KEEP=yes")
	}
}

// fakeEtcd writes an executable that reports version like etcd does.
func fakeEtcd(t *testing.T, path, version string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho 'etcd Version: " + version + "'\necho 'Git SHA: fake'\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// isolate makes the process look like a machine without etcd: an empty
// PATH but for dir, no usual locations, a fresh cache, no selection.
func isolate(t *testing.T, dir string) (cache string) {
	t.Helper()
	cache = t.TempDir()
	t.Setenv("PATH", dir)
	t.Setenv(EnvLocations, "")
	t.Setenv(EnvCacheDir, cache)
	t.Setenv("ETCD_BIN", "")
	t.Setenv(EnvVersion, "")
	return cache
}

func TestLocate_installedAndCached(t *testing.T) {
	bin := t.TempDir()
	cache := isolate(t, bin)
	fakeEtcd(t, filepath.Join(bin, "etcd"), "3.4.23")
	fakeEtcd(t, filepath.Join(cache, "3.5.35", "etcd"), "3.5.35")
	fakeEtcd(t, filepath.Join(cache, "3.6.16", "etcd"), "3.6.16")
	other := filepath.Join(t.TempDir(), "etcd")
	fakeEtcd(t, other, "3.5.21")

	tests := []struct {
		etcdBin, want string
		wantPath      string
	}{
		{wantPath: filepath.Join(bin, "etcd")},                             // installed, serves v2
		{want: "3.5.35", wantPath: filepath.Join(cache, "3.5.35", "etcd")}, // cached build
		{want: "3.6.16", wantPath: filepath.Join(cache, "3.6.16", "etcd")},
		{etcdBin: other, want: "3.6.16", wantPath: other}, // ETCD_BIN wins
	}
	for _, tc := range tests {
		f, err := locate(tc.etcdBin, tc.want)
		if err != nil || f.Path != tc.wantPath {
			t.Errorf("locate(%q, %q) = %+v, %v; want %s", tc.etcdBin, tc.want, f, err, tc.wantPath)
		}
	}

	if _, err := locate("", "3.4.22"); err == nil || !strings.Contains(err.Error(), "apt-get install etcd-server") {
		t.Errorf("locate of a 3.4 that is not installed = %v, want an error saying how to install one", err)
	}
	if _, err := locate(filepath.Join(bin, "missing"), ""); err == nil || !strings.Contains(err.Error(), "ETCD_BIN") {
		t.Errorf("locate with ETCD_BIN naming nothing = %v, want an error naming ETCD_BIN", err)
	}
}

// TestLocate_installedV3OnlyPassedOver checks that with no version asked
// for, an installed etcd 3.6 is not used: the v2 suites could not run.
func TestLocate_installedV3OnlyPassedOver(t *testing.T) {
	bin := t.TempDir()
	cache := isolate(t, bin)
	fakeEtcd(t, filepath.Join(bin, "etcd"), "3.6.16")
	fakeEtcd(t, filepath.Join(cache, DefaultVersion, "etcd"), DefaultVersion)
	f, err := locate("", "")
	if err != nil || f.Version != DefaultVersion {
		t.Errorf("locate with only etcd 3.6 installed = %+v, %v; want the cached %s", f, err, DefaultVersion)
	}
}

// TestBuilt_once runs builds side by side with a stand-in go command that
// counts its runs: the lock file lets one build and the others reuse it.
func TestBuilt_once(t *testing.T) {
	bin := t.TempDir()
	cache := isolate(t, bin)
	count := filepath.Join(t.TempDir(), "count")
	fakeGo := `#!/bin/sh
echo run >> ` + count + `
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then
    printf '#!/bin/sh\necho "etcd Version: 3.5.35"\n' > "$2"; /bin/chmod +x "$2"
  fi
  shift
done
`
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	var lines []string
	var mu sync.Mutex
	old := announce
	announce = func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }
	t.Cleanup(func() { announce = old })

	var wg sync.WaitGroup
	paths := make([]string, 4)
	errs := make([]error, 4)
	for i := range paths {
		wg.Go(func() { paths[i], errs[i] = built("3.5.35") })
	}
	wg.Wait()
	want := filepath.Join(cache, "3.5.35", "etcd")
	for i := range paths {
		if errs[i] != nil || paths[i] != want {
			t.Errorf("built #%d = %q, %v; want %s", i, paths[i], errs[i], want)
		}
	}
	runs, _ := os.ReadFile(count)
	if n := strings.Count(string(runs), "run"); n != 1 {
		t.Errorf("go ran %d times, want 1 (one build, from internal/tools/etcd35)", n)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "building etcd 3.5.35 into "+filepath.Dir(want)) {
		t.Errorf("announced %q, want one line naming the version and directory", lines)
	}
}

// TestBuilt_failure checks what a machine without the module proxy sees:
// an error that names the fixes.
func TestBuilt_failure(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command: %v", err) // go test puts its own in PATH
	}
	bin := t.TempDir()
	isolate(t, bin)
	if err := os.Symlink(gocmd, filepath.Join(bin, "go")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", t.TempDir()) // nothing to find offline either
	t.Setenv("GOFLAGS", "-mod=mod")
	old := announce
	announce = func(string) {}
	t.Cleanup(func() { announce = old })
	// 3.5.1 is pinned by no module here, so a module is made for it and
	// go get must reach the proxy.
	_, err = built("3.5.1")
	if err == nil {
		t.Fatal("built with GOPROXY=off succeeded")
	}
	for _, w := range []string{"building etcd 3.5.1 from the Go module proxy failed", "GOPROXY", "apt-get install etcd-server", "ETCD_BIN="} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
