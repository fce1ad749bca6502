package main

import (
	"fmt"
	"io"
	"time"
)

// progress prints plain lines with counts and rate, at most one a second
// and one at the end.
type progress struct {
	out         io.Writer
	what        string
	total, n    int
	start, last time.Time
	now         func() time.Time
}

func newProgress(out io.Writer, what string, total int, now func() time.Time) *progress {
	t := now()
	return &progress{out: out, what: what, total: total, start: t, last: t, now: now}
}

func (p *progress) add(n int) {
	p.n += n
	if t := p.now(); t.Sub(p.last) >= time.Second {
		p.last = t
		p.line()
	}
}

func (p *progress) done() {
	if p.total > 0 {
		p.line()
	}
}

func (p *progress) line() {
	rate := 0.0
	if el := p.now().Sub(p.start).Seconds(); el > 0 {
		rate = float64(p.n) / el
	}
	fmt.Fprintf(p.out, "%s: %d/%d keys (%.0f/s)\n", p.what, p.n, p.total, rate)
}
