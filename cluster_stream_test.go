package client

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStream_abandonMovesPin: a stream (kindStream) whose caller gives up
// on it as stuck, ending its context with errAbandonMember and closing
// it, moves the pin off its member, as a call abandoned before its
// answer does; closed for any other cause, the pin stays.
func TestStream_abandonMovesPin(t *testing.T) {
	for _, tc := range []struct {
		cause error
		moved bool
	}{{errAbandonMember, true}, {context.Canceled, false}} {
		t.Run(fmt.Sprint(tc.cause), func(t *testing.T) {
			ft := newFakeTransport().
				on(clusterHost(clusterEP1), fakeReply{status: 200, bodyBlock: true}).
				on(clusterHost(clusterEP2), fakeReply{status: 200, bodyBlock: true})
			c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
			ctx, cancel := context.WithCancelCause(context.Background())
			resp, _, err := c.Do(ctx, v3Action("watch", []byte(`{}`), kindStream))
			require.NoError(t, err)
			cancel(tc.cause)
			resp.Body.Close()
			want := clusterEP1
			if tc.moved {
				want = clusterEP2
			}
			assert.Equal(t, want, fakePinned(c))
		})
	}
}
