package main

import (
	"fmt"
	"time"
)

// diffTrees lists how the target's tree differs from the source's: keys
// missing or extra, file against directory, values, and expirations
// further apart than tol. A node that may have expired between the two
// reads (it expires within tol of now) is not reported missing.
func diffTrees(src, dst *tree, tol time.Duration, now time.Time) []string {
	index := func(t *tree) map[string]*entry {
		m := make(map[string]*entry, len(t.entries))
		for i := range t.entries {
			m[t.entries[i].key] = &t.entries[i]
		}
		return m
	}
	sm, dm := index(src), index(dst)
	mayBeGone := func(t map[string]*entry, e *entry) bool {
		o := t[e.owner]
		return o != nil && !o.exp.IsZero() && o.exp.Before(now.Add(tol))
	}
	var out []string
	for _, s := range src.entries {
		d := dm[s.key]
		switch {
		case d == nil:
			if !mayBeGone(sm, &s) {
				out = append(out, fmt.Sprintf("missing on the target: %s", describe(&s)))
			}
		case s.dir != d.dir:
			out = append(out, fmt.Sprintf("%s: source has %s, target has %s", s.key, kind(&s), kind(d)))
		case s.value != d.value:
			out = append(out, fmt.Sprintf("%s: source value %q, target value %q", s.key, clip([]byte(s.value)), clip([]byte(d.value))))
		case s.exp.IsZero() != d.exp.IsZero():
			out = append(out, fmt.Sprintf("%s: source TTL %s, target TTL %s", s.key, ttlText(&s, now), ttlText(d, now)))
		case !s.exp.IsZero() && absDur(s.exp.Sub(d.exp)) > tol:
			out = append(out, fmt.Sprintf("%s: source expires in %s, target in %s (tolerance %s)", s.key, s.exp.Sub(now).Round(time.Second), d.exp.Sub(now).Round(time.Second), tol))
		}
	}
	for _, d := range dst.entries {
		if sm[d.key] == nil && !mayBeGone(dm, &d) {
			out = append(out, fmt.Sprintf("only on the target: %s", describe(&d)))
		}
	}
	return out
}

func kind(e *entry) string {
	if e.dir {
		return "a directory"
	}
	return "a key"
}

func describe(e *entry) string {
	if e.dir {
		return e.key + "/ (directory)"
	}
	return fmt.Sprintf("%s = %q", e.key, clip([]byte(e.value)))
}

func ttlText(e *entry, now time.Time) string {
	if e.exp.IsZero() {
		return "none"
	}
	return e.exp.Sub(now).Round(time.Second).String()
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
