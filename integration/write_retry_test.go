package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// callRequests counts the requests one call sent: a context value the
// transport of TestWriteRetry_QueueUnderFaults increments.
type callRequestsKey struct{}

// countingTransport counts each request in the counter its context
// carries, if any, and sends it through net/http.
type countingTransport struct{ *http.Transport }

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if n, ok := req.Context().Value(callRequestsKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
	return c.Transport.RoundTrip(req)
}

// enqueueOutcome is what one CreateInOrder call returned.
type enqueueOutcome struct {
	payload string
	key     string // the key of an acknowledged call
	err     error
	sends   int32 // requests the call sent
}

// TestWriteRetry_QueueUnderFaults: 8 producers each enqueue 500 unique
// payloads with CreateInOrder while the members of a 3-member cluster are
// SIGKILLed or SIGSTOPped and brought back, one at a time. Afterwards every
// acknowledged payload is in the queue exactly once, at the key its call
// returned; no payload is there twice; every missing payload's call
// returned an error.
//
// Before the write rule, a CreateInOrder that failed after reaching a
// member (a member killed mid-request, etcd's 500 "request timed out" for
// a proposal that commits later) was sent to the next member too, and a
// job could be enqueued twice.
func TestWriteRetry_QueueUnderFaults(t *testing.T) {
	skipOnStandin(t, "needs a three-member cluster whose members are killed and frozen")
	t.Parallel()
	testQueueUnderFaults(t, client.APIv2, etcdtest.Options{})
}

// TestV3WriteRetry_QueueUnderFaults is the same through APIv3: the
// in-order keys are transactions on etcd's v3 API, and the same write
// rule decides when one may go to another member.
func TestV3WriteRetry_QueueUnderFaults(t *testing.T) {
	t.Parallel()
	testQueueUnderFaults(t, client.APIv3, etcdtest.Options{V3Only: true})
}

func testQueueUnderFaults(t *testing.T, api client.API, opts etcdtest.Options) {
	skipOnStandin(t, "needs a three-member cluster whose members are killed and frozen")
	const (
		writers   = 8
		perWriter = 500
		dir       = "/queue"
		// Acknowledged writes to wait for in each phase of the fault
		// loop: with a member down, then with all members back.
		phaseAcks = 120
	)
	cl := etcdtest.Start(t, 3, opts)

	newKeys := func() client.KeysAPI {
		tr := client.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		c, err := client.New(client.Config{
			API:       api,
			Endpoints: cl.Endpoints(),
			Transport: countingTransport{tr},
			// A frozen member costs one header timeout, not the
			// call's whole deadline; generous, for a loaded machine.
			HeaderTimeoutPerRequest: 2 * time.Second,
			// Rounds in which no request left (every member refused)
			// are repeated.
			Retry: &client.RetryPolicy{InitialBackoff: 20 * time.Millisecond, MaxBackoff: 300 * time.Millisecond},
		})
		if err != nil {
			t.Fatalf("client.New = %v", err)
		}
		return client.NewKeysAPI(c)
	}

	var acks atomic.Int64
	outcomes := make([][]enqueueOutcome, writers)
	var wg sync.WaitGroup
	for w := range writers {
		kapi := newKeys()
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[w] = make([]enqueueOutcome, 0, perWriter)
			for i := range perWriter {
				o := enqueueOutcome{payload: fmt.Sprintf("job-w%d-%03d", w, i)}
				var sends atomic.Int32
				ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), callRequestsKey{}, &sends), 15*time.Second)
				resp, err := kapi.CreateInOrder(ctx, dir, o.payload, nil)
				cancel()
				o.err, o.sends = err, sends.Load()
				if err == nil {
					o.key = resp.Node.Key
					acks.Add(1)
				}
				outcomes[w] = append(outcomes[w], o)
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()
	// Should the test fail before the writers finish, they still must
	// end before the cluster is torn down (goleak).
	t.Cleanup(func() { <-writersDone })

	// waitAcks waits for n more acknowledged writes, or for the writers
	// to finish; it reports whether they are still writing.
	waitAcks := func(n int64) bool {
		target := acks.Load() + n
		for acks.Load() < target {
			select {
			case <-writersDone:
				return false
			case <-time.After(10 * time.Millisecond):
			}
		}
		return true
	}

	// The fault loop runs on the test's goroutine, since the member
	// helpers may end the test. One member at a time is hurt, so two of
	// three keep the quorum.
	var kills, stops int
	for r := 0; waitAcks(phaseAcks); r++ {
		m := cl.Members[r%len(cl.Members)]
		if r%2 == 0 {
			m.Kill(t)
			kills++
			waitAcks(phaseAcks)
			m.Restart(t)
		} else {
			m.Stop(t)
			stops++
			waitAcks(phaseAcks)
			m.Cont(t)
		}
	}
	<-writersDone

	// The queue as a quorum read sees it, from a client of its own.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	resp, err := newKeys().Get(ctx, dir, &client.GetOptions{Recursive: true, Sort: true, Quorum: true})
	if err != nil {
		t.Fatalf("Get(%s) = %v", dir, err)
	}
	inQueue := make(map[string][]string) // payload -> keys holding it
	for _, n := range resp.Node.Nodes {
		inQueue[n.Value] = append(inQueue[n.Value], n.Key)
	}

	var acked, unknown, otherErrs, duplicates, lost, failedOver, unknownApplied int
	sent := make(map[string]bool, writers*perWriter)
	for _, ws := range outcomes {
		for _, o := range ws {
			sent[o.payload] = true
			keys := inQueue[o.payload]
			if len(keys) > 1 {
				duplicates++
				t.Errorf("payload %s is in the queue %d times, at %v (call returned %v after %d requests)", o.payload, len(keys), keys, o.err, o.sends)
			}
			switch {
			case o.err == nil:
				acked++
				if o.sends > 1 {
					failedOver++
				}
				if len(keys) == 0 {
					lost++
					t.Errorf("acknowledged payload %s (key %s) is not in the queue", o.payload, o.key)
				} else if keys[0] != o.key {
					t.Errorf("acknowledged payload %s is at %v, its call returned key %s", o.payload, keys, o.key)
				}
			case errors.Is(o.err, client.ErrOutcomeUnknown):
				unknown++
				if len(keys) > 0 {
					unknownApplied++
				}
			default:
				otherErrs++
				t.Logf("payload %s: %v", o.payload, o.err)
			}
		}
	}
	for v, keys := range inQueue {
		if !sent[v] {
			t.Errorf("the queue holds %q at %v, which no producer sent", v, keys)
		}
	}
	t.Logf("faults: %d SIGKILL, %d SIGSTOP; queue holds %d of %d payloads", kills, stops, len(resp.Node.Nodes), writers*perWriter)
	// On APIv2 a call sends one request per member it tries; on APIv3 each
	// in-order create is a read and a transaction, repeated when another
	// writer won the directory, so there "more than one request" is normal.
	t.Logf("%v: acknowledged %d (%d sent more than one request), unknown-outcome %d (%d of them applied), other errors %d, duplicates %d, lost %d",
		api, acked, failedOver, unknown, unknownApplied, otherErrs, duplicates, lost)
	if acked+unknown+otherErrs != writers*perWriter {
		t.Errorf("counted %d calls, want %d", acked+unknown+otherErrs, writers*perWriter)
	}
	if kills == 0 || stops == 0 {
		t.Errorf("the writers finished before a member was both killed and stopped (%d kills, %d stops): the faults were not exercised", kills, stops)
	}
}
