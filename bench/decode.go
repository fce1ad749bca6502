package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	ours "github.com/seed26e043ee/client"
	upstream "go.etcd.io/etcd/client/v2"
)

// memTransport answers every request with the same 200 and body, from
// memory: no sockets and no server, so what a Get costs on top of it is
// the client's own work, the body's decoding above all. It satisfies both
// clients' CancelableTransport.
type memTransport struct {
	body []byte
}

func (t *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A fresh header and reader per answer, like a real transport's.
	return &http.Response{
		Status:     "200 OK",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":      {"application/json"},
			"X-Etcd-Index":      {"4242"},
			"X-Etcd-Cluster-Id": {"cdf818194e3a8c32"},
		},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       req,
	}, nil
}

func (t *memTransport) CancelRequest(*http.Request) {}

// memEndpoint is never dialled: memTransport answers for it.
const memEndpoint = "http://127.0.0.1:2379"

// DecodeBodies returns the bodies of Bodies and, as "etcd1000", the
// recursive listing etcd 3.4.23 sent in the project's captured test data.
func DecodeBodies() ([]Body, error) {
	captured, err := os.ReadFile(filepath.Join("..", "testdata", "etcd-3.4.23", "get_recursive1000.json"))
	if err != nil {
		return nil, err
	}
	return append(Bodies(), Body{Name: "etcd1000", Key: "/k", JSON: captured}), nil
}

// DecodeCandidates returns a Getter per client that runs a recursive Get
// answered by memTransport with body: request building, reading the body
// from memory, and decoding it.
func DecodeCandidates(body []byte) (map[string]Getter, error) {
	opts := &ours.GetOptions{Recursive: true}
	oc, err := ours.New(ours.Config{Endpoints: []string{memEndpoint}, Transport: &memTransport{body: body}})
	if err != nil {
		return nil, fmt.Errorf("%s: New = %w", NameOurs, err)
	}
	ok := ours.NewKeysAPI(oc)
	uc, err := upstream.New(upstream.Config{Endpoints: []string{memEndpoint}, Transport: &memTransport{body: body}})
	if err != nil {
		return nil, fmt.Errorf("%s: New = %w", NameUpstream, err)
	}
	uk := upstream.NewKeysAPI(uc)
	uopts := &upstream.GetOptions{Recursive: true}
	return map[string]Getter{
		NameOurs: func(ctx context.Context) (int, error) {
			r, err := ok.Get(ctx, "/k", opts)
			if err != nil {
				return 0, err
			}
			if r.Index != 4242 {
				return 0, fmt.Errorf("%s: Index = %d, want 4242", NameOurs, r.Index)
			}
			return countOurs(r.Node), nil
		},
		NameUpstream: func(ctx context.Context) (int, error) {
			r, err := uk.Get(ctx, "/k", uopts)
			if err != nil {
				return 0, err
			}
			if r.Index != 4242 {
				return 0, fmt.Errorf("%s: Index = %d, want 4242", NameUpstream, r.Index)
			}
			return countUpstream(r.Node), nil
		},
	}, nil
}

// DecodeNames are the candidates of the decoding comparison, as printed.
var DecodeNames = []string{NameOurs, NameUpstream}

// checkSameNodes runs each getter once and fails unless all decode the
// same number of nodes.
func checkSameNodes(ctx context.Context, gs map[string]Getter) (int, error) {
	want := -1
	for _, name := range DecodeNames {
		n, err := gs[name](ctx)
		if err != nil {
			return 0, fmt.Errorf("%s: Get = %w", name, err)
		}
		if want >= 0 && n != want {
			return 0, fmt.Errorf("%s: Get decoded %d nodes, want %d like %s", name, n, want, DecodeNames[0])
		}
		want = n
	}
	return want, nil
}
