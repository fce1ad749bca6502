package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows counts and rate: on a terminal a bar redrawn in place up
// to ten times a second, elsewhere (logs, pipes) a plain line at most once
// a second; both end with a final line.
type progress struct {
	out         io.Writer
	tty         bool
	what        string
	total, n    int
	start, last time.Time
	now         func() time.Time
}

func newProgress(out io.Writer, what string, total int, now func() time.Time) *progress {
	t := now()
	return &progress{out: out, tty: isTerminal(out), what: what, total: total, start: t, last: t, now: now}
}

// isTerminal tells whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) add(n int) {
	p.n += n
	every := time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if t := p.now(); t.Sub(p.last) >= every {
		p.last = t
		p.line(false)
	}
}

func (p *progress) done() {
	if p.total > 0 {
		p.line(true)
	}
}

func (p *progress) line(final bool) {
	rate := 0.0
	if el := p.now().Sub(p.start).Seconds(); el > 0 {
		rate = float64(p.n) / el
	}
	if !p.tty {
		fmt.Fprintf(p.out, "%s: %d/%d keys (%.0f/s)\n", p.what, p.n, p.total, rate)
		return
	}
	const width = 30
	fill := width
	if p.total > 0 {
		fill = min(width, p.n*width/p.total)
	}
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(p.out, "\r%s [%s%s] %d/%d keys (%.0f/s)%s", p.what, strings.Repeat("#", fill), strings.Repeat(" ", width-fill), p.n, p.total, rate, end)
}
