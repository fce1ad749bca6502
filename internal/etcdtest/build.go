package etcdtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// buildMinutes is what one cold build of etcd took on a loaded 2-core
// machine, rounded up; the announcement quotes it so nobody takes the
// wait for a hang.
const buildMinutes = 4

// cacheDir returns where built binaries are kept: $ETCDTEST_CACHE_DIR, or
// a folder of this project in the user's cache directory.
func cacheDir() (string, error) {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory to build etcd into (set %s): %w", EnvCacheDir, err)
	}
	return filepath.Join(d, "seed26e043ee-client", "etcd"), nil
}

// built returns the path of etcd <version> in the cache directory,
// building it first if it is not there. A lock file per version makes the
// test binaries that go test starts side by side build it once: the others
// wait, then find it built.
func built(version string) (string, error) {
	root, err := cacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, version, "etcd")
	if v, err := binaryVersion(bin); err == nil && v == version {
		return bin, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("build etcd %s: %w", version, err)
	}
	lock, err := os.OpenFile(filepath.Join(root, version+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("build etcd %s: %w", version, err)
	}
	defer lock.Close() // closing releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("build etcd %s: lock %s: %w", version, lock.Name(), err)
	}
	if v, err := binaryVersion(bin); err == nil && v == version {
		return bin, nil
	}
	// Holding the lock, any build directory left is from a builder that
	// died (go test kills a binary that runs too long).
	if stale, _ := filepath.Glob(filepath.Join(root, version+".build-*")); len(stale) > 0 {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	announce(fmt.Sprintf("etcdtest: building etcd %s into %s (first run only, about %d minutes)", version, filepath.Dir(bin), buildMinutes))
	if err := build(version, root, bin); err != nil {
		return "", fmt.Errorf("no etcd binary found, and building etcd %s from the Go module proxy failed: %w\n"+
			"Fix: let go reach the module proxy once (see go env GOPROXY), or install etcd 3.4/3.5 (Debian: apt-get install etcd-server), or set ETCD_BIN=/path/to/etcd", version, err)
	}
	v, err := binaryVersion(bin)
	if err != nil {
		return "", err
	}
	if v != version {
		return "", fmt.Errorf("built %s reports version %s, want %s", bin, v, version)
	}
	return bin, nil
}

// build compiles etcd <version> into bin, from this repository's module in
// internal/tools when it pins that version, else from a module made for
// the purpose. It writes into a temporary directory under root and renames
// the result into place, so no one ever runs a half-written binary.
func build(version, root, bin string) error {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("no go command in $PATH to build with: %w", err)
	}
	tmp, err := os.MkdirTemp(root, version+".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "etcd")

	src, modFlag := toolModule(version), "-mod=readonly"
	if src == "" {
		// The module is new, so go get and go mod tidy fill in its
		// go.mod and go.sum from the proxy.
		src, modFlag = filepath.Join(tmp, "src"), "-mod=mod"
		if err := writeModule(src); err != nil {
			return err
		}
		if err := runGo(gocmd, src, modFlag, "get", "go.etcd.io/etcd/server/v3@v"+version); err != nil {
			return err
		}
		if err := runGo(gocmd, src, modFlag, "mod", "tidy"); err != nil {
			return err
		}
	}
	if err := runGo(gocmd, src, modFlag, "build", "-buildvcs=false", "-o", out, "."); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return err
	}
	return os.Rename(out, bin)
}

// toolModule returns the directory of internal/tools/etcdXY when its
// go.mod pins exactly go.etcd.io/etcd/server/v3 at version, else "".
func toolModule(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return ""
	}
	name := "etcd" + parts[0] + parts[1]
	for _, dir := range toolsDirs() {
		d := filepath.Join(dir, name)
		mod, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err != nil {
			continue
		}
		if bytes.Contains(mod, []byte("go.etcd.io/etcd/server/v3 v"+version+"\n")) {
			return d
		}
	}
	return ""
}

// toolsDirs lists where internal/tools may be: next to this source file
// as compiled (gone under -trimpath), or above the working directory,
// which go test sets to the package's own.
func toolsDirs() []string {
	var dirs []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dirs = append(dirs, filepath.Join(filepath.Dir(file), "..", "tools"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, filepath.Join(d, "internal", "tools"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return dirs
}

const mainGo = `// Command etcd is a genuine etcd server, built by the tests of
// github.com/seed26e043ee/client.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
`

func writeModule(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module etcdtestbuild\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), []byte(mainGo), 0o644)
}

// runGo runs the go command in dir with an environment of its own: the
// caller's GOFLAGS (-race, -cover and the like are for the tests, not for
// etcd), GOOS, GOARCH and workspace are left out, and cgo is off as in
// etcd's own release builds.
func runGo(gocmd, dir, modFlag string, args ...string) error {
	cmd := exec.Command(gocmd, args...)
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "GOFLAGS", "GOOS", "GOARCH", "GOWORK", "CGO_ENABLED":
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "GOFLAGS="+modFlag, "GOWORK=off", "CGO_ENABLED=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, lastLines(buf.String(), 15))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// announce shows one line to the person running the tests, at once. go
// test keeps a test binary's output until it exits, and then prints it
// only with -v or on failure, so a line saying why the first run waits
// minutes goes to the go command's own stderr when go started this
// binary; otherwise to ours.
var announce = func(line string) {
	w, err := parentGoStderr()
	if err != nil {
		w = os.Stderr
	} else {
		defer w.Close()
	}
	fmt.Fprintln(w, line)
}

func parentGoStderr() (*os.File, error) {
	ppid := os.Getppid()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", ppid))
	if err != nil {
		return nil, err
	}
	if filepath.Base(exe) != "go" {
		return nil, errors.New("parent is not the go command")
	}
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	// Opened anew, a regular file gets an offset of its own, and go,
	// writing at its offset, would overwrite the line; a terminal or
	// pipe has no offsets.
	if fi, err := f.Stat(); err != nil || fi.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("the go command's stderr is a file")
	}
	return f, nil
}
