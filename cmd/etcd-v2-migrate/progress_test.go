package main

import (
	"bytes"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	for _, tty := range []bool{false, true} {
		var b bytes.Buffer
		p := newProgress(&b, "copy", 300, now)
		p.tty = tty
		p.add(100) // no time passed: nothing printed
		clock = clock.Add(2 * time.Second)
		p.add(100)
		p.add(100)
		p.done()
		want := "copy: 200/300 keys (100/s)\ncopy: 300/300 keys (150/s)\n"
		if tty {
			want = "\rcopy [####################          ] 200/300 keys (100/s)" +
				"\rcopy [##############################] 300/300 keys (150/s)\n"
		}
		if b.String() != want {
			t.Errorf("tty %v: %q, want %q", tty, b.String(), want)
		}
	}
}
