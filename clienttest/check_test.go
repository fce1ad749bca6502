package clienttest_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// checker holds the few assertions these tests need, without adding a
// dependency to the module: assert reports and goes on, require stops the
// test. Arguments follow testify's order (want before got).
type checker struct{ fatal bool }

var (
	assert  = checker{}
	require = checker{fatal: true}
)

func (c checker) fail(t *testing.T, msgAndArgs []any, format string, args ...any) bool {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if len(msgAndArgs) > 0 {
		prefix := fmt.Sprint(msgAndArgs[0])
		if len(msgAndArgs) > 1 {
			prefix = fmt.Sprintf(prefix, msgAndArgs[1:]...)
		}
		msg = prefix + ": " + msg
	}
	if c.fatal {
		t.Fatal(msg)
	}
	t.Error(msg)
	return false
}

func (c checker) NoError(t *testing.T, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err != nil {
		return c.fail(t, msgAndArgs, "error = %v, want nil", err)
	}
	return true
}

func (c checker) Error(t *testing.T, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return c.fail(t, msgAndArgs, "error = nil, want one")
	}
	return true
}

func (c checker) EqualError(t *testing.T, err error, want string, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil || err.Error() != want {
		return c.fail(t, msgAndArgs, "error = %v, want %q", err, want)
	}
	return true
}

func (c checker) ErrorIs(t *testing.T, err, target error, msgAndArgs ...any) bool {
	t.Helper()
	if !errors.Is(err, target) {
		return c.fail(t, msgAndArgs, "error = %v, want %v", err, target)
	}
	return true
}

func (c checker) ErrorAs(t *testing.T, err error, target any, msgAndArgs ...any) bool {
	t.Helper()
	if !errors.As(err, target) {
		return c.fail(t, msgAndArgs, "error = %v (%T), want a %T", err, err, target)
	}
	return true
}

func (c checker) Equal(t *testing.T, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		return c.fail(t, msgAndArgs, "got %#v, want %#v", got, want)
	}
	return true
}

func (c checker) True(t *testing.T, ok bool, msgAndArgs ...any) bool {
	t.Helper()
	if !ok {
		return c.fail(t, msgAndArgs, "false, want true")
	}
	return true
}

func (c checker) NotNil(t *testing.T, v any, msgAndArgs ...any) bool {
	t.Helper()
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return c.fail(t, msgAndArgs, "nil, want a value")
	}
	return true
}

func (c checker) Len(t *testing.T, v any, n int, msgAndArgs ...any) bool {
	t.Helper()
	if l := reflect.ValueOf(v).Len(); l != n {
		return c.fail(t, msgAndArgs, "len = %d, want %d (%v)", l, n, v)
	}
	return true
}

func (c checker) Empty(t *testing.T, v any, msgAndArgs ...any) bool {
	t.Helper()
	if v != nil && reflect.ValueOf(v).Len() != 0 {
		return c.fail(t, msgAndArgs, "%#v, want empty", v)
	}
	return true
}

func (c checker) NotEmpty(t *testing.T, v any, msgAndArgs ...any) bool {
	t.Helper()
	if v == nil || reflect.ValueOf(v).Len() == 0 {
		return c.fail(t, msgAndArgs, "empty, want a value")
	}
	return true
}

func (c checker) Contains(t *testing.T, s, sub string, msgAndArgs ...any) bool {
	t.Helper()
	if !strings.Contains(s, sub) {
		return c.fail(t, msgAndArgs, "%q does not contain %q", s, sub)
	}
	return true
}

func (c checker) ElementsMatch(t *testing.T, want, got []string, msgAndArgs ...any) bool {
	t.Helper()
	w, g := slices.Clone(want), slices.Clone(got)
	slices.Sort(w)
	slices.Sort(g)
	if !slices.Equal(w, g) {
		return c.fail(t, msgAndArgs, "got %q, want %q in any order", got, want)
	}
	return true
}
