package client

// This file is the watch stream of the v3 gateway: POST /v3/watch with
// the create requests as the body, answered by a body that never ends,
// one JSON message per line ({"result":...} or {"error":...}). The
// request goes through the cluster client as a kindStream call, so it
// fails over, follows redirects and prints its cURL line like any other;
// the body cap applies to each message.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

func (g *v3Gateway) watch(ctx context.Context, reqs []v3WatchCreate) (v3WatchStream, error) {
	var body []byte
	for i := range reqs {
		b, err := json.Marshal(struct {
			Create *v3WatchCreate `json:"create_request"`
		}{&reqs[i]})
		if err != nil {
			return nil, err
		}
		body = append(body, b...)
	}
	st, err := g.openWatch(ctx, v3Action("watch", body, kindStream))
	if err != nil {
		return nil, err
	}
	return st, nil
}

// openWatchOnce sends the watch request act as it is; openWatch
// (v3gateway_auth.go) adds the token.
func (g *v3Gateway) openWatchOnce(ctx context.Context, act *action) (*gatewayStream, error) {
	act.subject = subjectOf(ctx)
	resp, rb, err := g.client.Do(ctx, act)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		if resp.Body != nil && rb == nil {
			resp.Body.Close()
		}
		return nil, decodeGatewayRefusal(resp.StatusCode, rb)
	}
	var r io.ReadCloser = resp.Body
	if rb != nil || r == nil {
		// A Client that reads whole bodies (not this package's) hands
		// back what it read.
		r = io.NopCloser(bytes.NewReader(rb))
	}
	max := g.maxMsg
	if max <= 0 {
		max = DefaultMaxResponseBytes
	}
	return &gatewayStream{body: r, br: bufio.NewReaderSize(r, 32<<10), max: max}, nil
}

// gatewayStream reads the messages of one watch stream.
type gatewayStream struct {
	body io.ReadCloser
	br   *bufio.Reader
	max  int64
	// peeked is a message read ahead (openWatch reads the first one to
	// see whether etcd refused the token), returned by the next Recv.
	peeked *v3WatchResponse
}

func (s *gatewayStream) Recv() (*v3WatchResponse, error) {
	if m := s.peeked; m != nil {
		s.peeked = nil
		return m, nil
	}
	for {
		line, err := s.readLine()
		if err != nil {
			return nil, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var msg struct {
			Result *v3WatchResponse `json:"result"`
			Error  *struct {
				Code    int    `json:"grpc_code"`
				Code2   int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line, &msg); err != nil {
			return nil, &invalidJSONError{cause: err}
		}
		if msg.Error != nil {
			code := msg.Error.Code
			if code == 0 {
				code = msg.Error.Code2
			}
			return nil, &GatewayError{Status: http.StatusOK, Code: code, Message: msg.Error.Message}
		}
		if msg.Result == nil {
			return nil, &invalidJSONError{cause: errors.New("watch message without result")}
		}
		return msg.Result, nil
	}
}

// readLine reads one message, at most max bytes.
func (s *gatewayStream) readLine() ([]byte, error) {
	var line []byte
	for {
		part, err := s.br.ReadSlice('\n')
		if int64(len(line)+len(part)) > s.max {
			return nil, fmt.Errorf("%w (a watch message above %d bytes)", ErrResponseTooLarge, s.max)
		}
		line = append(line, part...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(bytes.TrimSpace(line)) > 0 {
			return line, nil
		}
		return line, err
	}
}

func (s *gatewayStream) Close() error { return s.body.Close() }
