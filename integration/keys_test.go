package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestKeys drives every keys call against one real member. The subtests
// share the member and run in order; each works under its own directory.
func TestKeys(t *testing.T) {
	t.Parallel()
	cl := etcdtest.Start(t, 1)
	c, _ := newClient(t, cl, client.Config{})
	kapi := client.NewKeysAPI(c)

	t.Run("set_get_update_create", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		resp, err := kapi.Set(ctx, "/basic/a", "1", nil)
		if err != nil || resp.Action != "set" || resp.Node.Value != "1" || resp.Node.Key != "/basic/a" {
			t.Fatalf("Set(/basic/a, 1) = %+v, %v; want action set, value 1", resp, err)
		}
		if resp.Index == 0 || resp.ClusterID == "" {
			t.Errorf("Set: Index = %d, ClusterID = %q; want both from the headers", resp.Index, resp.ClusterID)
		}
		created := resp.Node.CreatedIndex

		resp, err = kapi.Get(ctx, "/basic/a", nil)
		if err != nil || resp.Action != "get" || resp.Node.Value != "1" || resp.Node.CreatedIndex != created {
			t.Fatalf("Get(/basic/a) = %+v, %v; want value 1 created at %d", resp, err, created)
		}

		resp, err = kapi.Update(ctx, "/basic/a", "2")
		if err != nil || resp.Action != "update" || resp.Node.Value != "2" || resp.PrevNode == nil || resp.PrevNode.Value != "1" {
			t.Fatalf("Update(/basic/a, 2) = %+v, %v; want update from 1 to 2", resp, err)
		}

		resp, err = kapi.Create(ctx, "/basic/b", "new")
		if err != nil || resp.Action != "create" || resp.Node.Value != "new" {
			t.Fatalf("Create(/basic/b) = %+v, %v; want action create", resp, err)
		}

		resp, err = kapi.Set(ctx, "/basic/a", "3", &client.SetOptions{PrevExist: client.PrevExist})
		if err != nil || resp.Action != "update" || resp.Node.Value != "3" {
			t.Fatalf("Set(PrevExist) = %+v, %v; want update to 3", resp, err)
		}
	})

	t.Run("compare_and_swap", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		set, err := kapi.Set(ctx, "/cas/k", "v1", nil)
		if err != nil {
			t.Fatalf("Set(/cas/k) = %v", err)
		}
		resp, err := kapi.Set(ctx, "/cas/k", "v2", &client.SetOptions{PrevValue: "v1"})
		if err != nil || resp.Action != "compareAndSwap" || resp.Node.Value != "v2" {
			t.Fatalf("Set(PrevValue v1) = %+v, %v; want compareAndSwap to v2", resp, err)
		}
		_, err = kapi.Set(ctx, "/cas/k", "v3", &client.SetOptions{PrevValue: "v1"})
		if got := errorCode(err); got != client.ErrorCodeTestFailed {
			t.Errorf("Set(stale PrevValue) error = %v, want code %d", err, client.ErrorCodeTestFailed)
		}
		_, err = kapi.Set(ctx, "/cas/k", "v3", &client.SetOptions{PrevIndex: set.Node.ModifiedIndex})
		if got := errorCode(err); got != client.ErrorCodeTestFailed {
			t.Errorf("Set(stale PrevIndex) error = %v, want code %d", err, client.ErrorCodeTestFailed)
		}
		resp, err = kapi.Set(ctx, "/cas/k", "v3", &client.SetOptions{PrevIndex: resp.Node.ModifiedIndex})
		if err != nil || resp.Action != "compareAndSwap" || resp.Node.Value != "v3" {
			t.Fatalf("Set(current PrevIndex) = %+v, %v; want compareAndSwap to v3", resp, err)
		}
	})

	t.Run("compare_and_delete", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		set, err := kapi.Set(ctx, "/cad/k", "v", nil)
		if err != nil {
			t.Fatalf("Set(/cad/k) = %v", err)
		}
		_, err = kapi.Delete(ctx, "/cad/k", &client.DeleteOptions{PrevValue: "other"})
		if got := errorCode(err); got != client.ErrorCodeTestFailed {
			t.Errorf("Delete(wrong PrevValue) error = %v, want code %d", err, client.ErrorCodeTestFailed)
		}
		_, err = kapi.Delete(ctx, "/cad/k", &client.DeleteOptions{PrevIndex: set.Node.ModifiedIndex + 1000})
		if got := errorCode(err); got != client.ErrorCodeTestFailed {
			t.Errorf("Delete(wrong PrevIndex) error = %v, want code %d", err, client.ErrorCodeTestFailed)
		}
		resp, err := kapi.Delete(ctx, "/cad/k", &client.DeleteOptions{PrevValue: "v"})
		if err != nil || resp.Action != "compareAndDelete" || resp.PrevNode == nil || resp.PrevNode.Value != "v" {
			t.Fatalf("Delete(PrevValue v) = %+v, %v; want compareAndDelete", resp, err)
		}
		if _, err := kapi.Get(ctx, "/cad/k", nil); !client.IsKeyNotFound(err) {
			t.Errorf("Get after compareAndDelete error = %v, want key not found", err)
		}
	})

	t.Run("directories", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		resp, err := kapi.Set(ctx, "/dir", "", &client.SetOptions{Dir: true})
		if err != nil || !resp.Node.Dir {
			t.Fatalf("Set(/dir, Dir) = %+v, %v; want a directory", resp, err)
		}
		for _, k := range []string{"/dir/c", "/dir/a", "/dir/sub/b"} {
			if _, err := kapi.Set(ctx, k, "v"+k, nil); err != nil {
				t.Fatalf("Set(%q) = %v", k, err)
			}
		}
		resp, err = kapi.Get(ctx, "/dir", &client.GetOptions{Recursive: true, Sort: true})
		if err != nil {
			t.Fatalf("Get(/dir, recursive sorted) = %v", err)
		}
		var keys []string
		for _, n := range resp.Node.Nodes {
			keys = append(keys, n.Key)
		}
		if want := []string{"/dir/a", "/dir/c", "/dir/sub"}; strings.Join(keys, ",") != strings.Join(want, ",") {
			t.Errorf("Get(/dir, recursive sorted) keys = %v, want %v", keys, want)
		}
		if sub := resp.Node.Nodes[2]; !sub.Dir || len(sub.Nodes) != 1 || sub.Nodes[0].Value != "v/dir/sub/b" {
			t.Errorf("Get(/dir, recursive) /dir/sub = %+v, want a directory holding /dir/sub/b", sub)
		}

		flat, err := kapi.Get(ctx, "/dir", nil)
		if err != nil || len(flat.Node.Nodes) != 3 || len(flat.Node.Nodes[0].Nodes)+len(flat.Node.Nodes[1].Nodes)+len(flat.Node.Nodes[2].Nodes) != 0 {
			t.Errorf("Get(/dir) = %+v, %v; want 3 children without grandchildren", flat.Node, err)
		}

		_, err = kapi.Delete(ctx, "/dir", &client.DeleteOptions{Dir: true})
		if got := errorCode(err); got != client.ErrorCodeDirNotEmpty {
			t.Errorf("Delete(/dir, Dir) error = %v, want code %d", err, client.ErrorCodeDirNotEmpty)
		}
		if _, err := kapi.Delete(ctx, "/dir/sub/b", nil); err != nil {
			t.Fatalf("Delete(/dir/sub/b) = %v", err)
		}
		resp, err = kapi.Delete(ctx, "/dir/sub", &client.DeleteOptions{Dir: true})
		if err != nil || resp.Action != "delete" || !resp.Node.Dir {
			t.Errorf("Delete(empty /dir/sub, Dir) = %+v, %v; want delete of a directory", resp, err)
		}
		resp, err = kapi.Delete(ctx, "/dir", &client.DeleteOptions{Recursive: true})
		if err != nil || resp.Action != "delete" {
			t.Fatalf("Delete(/dir, Recursive) = %+v, %v; want delete", resp, err)
		}
		if _, err := kapi.Get(ctx, "/dir/a", nil); !client.IsKeyNotFound(err) {
			t.Errorf("Get(/dir/a) after recursive delete error = %v, want key not found", err)
		}
	})

	t.Run("ttl_expires", func(t *testing.T) {
		ctx := ctxFor(t, 15*time.Second)
		before := time.Now()
		resp, err := kapi.Set(ctx, "/ttl/short", "v", &client.SetOptions{TTL: time.Second})
		if err != nil {
			t.Fatalf("Set(TTL 1s) = %v", err)
		}
		if resp.Node.TTL != 1 || resp.Node.TTLDuration() != time.Second || resp.Node.Expiration == nil {
			t.Fatalf("Set(TTL 1s) node = %+v, want TTL 1 and an expiration", resp.Node)
		}
		// etcd sets the expiration while it serves the Set: a second after
		// a moment between the call's start and its end (same clock).
		if exp, after := *resp.Node.Expiration, time.Now(); exp.Before(before) || exp.After(after.Add(time.Second+time.Millisecond)) {
			t.Errorf("Set(TTL 1s) expiration = %v, want a second after a moment between %v and %v", exp, before, after)
		}
		// The v2 store expires keys when the leader's periodic sync runs
		// (every 500ms), so a key may outlive its TTL by that much.
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := kapi.Get(ctx, "/ttl/short", nil)
			if client.IsKeyNotFound(err) {
				break
			}
			if err != nil {
				t.Fatalf("Get(/ttl/short) = %v while waiting for expiry", err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("Get(/ttl/short) still finds the key 10s after its 1s TTL")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if time.Since(before) < 900*time.Millisecond {
			t.Errorf("key expired after %v, before its 1s TTL", time.Since(before))
		}
	})

	t.Run("ttl_refresh", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		first, err := kapi.Set(ctx, "/ttl/refresh", "keep", &client.SetOptions{TTL: 5 * time.Second})
		if err != nil {
			t.Fatalf("Set(TTL 5s) = %v", err)
		}
		w := kapi.Watcher("/ttl/refresh", &client.WatcherOptions{AfterIndex: first.Node.ModifiedIndex})
		resp, err := kapi.Set(ctx, "/ttl/refresh", "", &client.SetOptions{TTL: 100 * time.Second, Refresh: true, PrevExist: client.PrevExist})
		if err != nil {
			t.Fatalf("Set(Refresh, TTL 100s) = %v", err)
		}
		if resp.Node.Value != "keep" || resp.Node.TTL <= 5 || resp.Node.TTL > 100 {
			t.Errorf("Set(Refresh) node = %+v, want value kept and TTL near 100", resp.Node)
		}
		got, err := kapi.Get(ctx, "/ttl/refresh", nil)
		if err != nil || got.Node.Value != "keep" || got.Node.TTL <= 5 {
			t.Errorf("Get after refresh = %+v, %v; want value keep with the new TTL", got, err)
		}
		// A refresh fires no watch: a watcher waiting since the first set
		// sees the write after the refresh, not the refresh.
		if _, err := kapi.Set(ctx, "/ttl/refresh", "changed", nil); err != nil {
			t.Fatalf("Set(changed) = %v", err)
		}
		ev, err := w.Next(ctx)
		if err != nil || ev.Node.Value != "changed" {
			t.Errorf("watcher Next after refresh = %+v, %v; want the set to changed", ev, err)
		}
	})

	t.Run("create_in_order", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		var keys []string
		for _, v := range []string{"job1", "job2", "job3"} {
			resp, err := kapi.CreateInOrder(ctx, "/queue", v, nil)
			if err != nil || resp.Action != "create" {
				t.Fatalf("CreateInOrder(/queue, %s) = %+v, %v; want create", v, resp, err)
			}
			keys = append(keys, resp.Node.Key)
		}
		if sortedCopy(keys)[0] != keys[0] || sortedCopy(keys)[2] != keys[2] || keys[0] == keys[1] || keys[1] == keys[2] {
			t.Errorf("CreateInOrder keys = %v, want strictly increasing", keys)
		}
		resp, err := kapi.Get(ctx, "/queue", &client.GetOptions{Sort: true})
		if err != nil || len(resp.Node.Nodes) != 3 {
			t.Fatalf("Get(/queue) = %+v, %v; want 3 entries", resp, err)
		}
		for i, n := range resp.Node.Nodes {
			if want := []string{"job1", "job2", "job3"}[i]; n.Value != want || n.Key != keys[i] {
				t.Errorf("Get(/queue) entry %d = %s=%s, want %s=%s", i, n.Key, n.Value, keys[i], want)
			}
		}
		resp, err = kapi.CreateInOrder(ctx, "/queue", "ttl", &client.CreateInOrderOptions{TTL: 50 * time.Second})
		if err != nil || resp.Node.TTL <= 0 || resp.Node.TTL > 50 {
			t.Errorf("CreateInOrder(TTL 50s) = %+v, %v; want a TTL of about 50", resp, err)
		}
	})

	t.Run("no_value_on_success", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		resp, err := kapi.Set(ctx, "/nv", "x", &client.SetOptions{NoValueOnSuccess: true})
		if err != nil || resp.Action != "set" || resp.Node != nil {
			t.Fatalf("Set(NoValueOnSuccess) = %+v, %v; want action set without a node", resp, err)
		}
		got, err := kapi.Get(ctx, "/nv", nil)
		if err != nil || got.Node.Value != "x" {
			t.Errorf("Get(/nv) = %+v, %v; want the value written", got, err)
		}
	})

	t.Run("quorum_get", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		if _, err := kapi.Set(ctx, "/q", "agreed", nil); err != nil {
			t.Fatalf("Set(/q) = %v", err)
		}
		resp, err := kapi.Get(ctx, "/q", &client.GetOptions{Quorum: true})
		if err != nil || resp.Node.Value != "agreed" {
			t.Errorf("Get(/q, Quorum) = %+v, %v; want agreed", resp, err)
		}
	})

	t.Run("error_codes", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		if _, err := kapi.Set(ctx, "/errs/file", "v", nil); err != nil {
			t.Fatalf("Set(/errs/file) = %v", err)
		}
		if _, err := kapi.Set(ctx, "/errs/dir/child", "v", nil); err != nil {
			t.Fatalf("Set(/errs/dir/child) = %v", err)
		}
		tests := []struct {
			name      string
			call      func() error
			code      int
			message   string
			causeHint string
		}{
			{"key_not_found", func() error { _, err := kapi.Get(ctx, "/errs/missing", nil); return err },
				client.ErrorCodeKeyNotFound, "Key not found", "/errs/missing"},
			{"test_failed", func() error {
				_, err := kapi.Set(ctx, "/errs/file", "w", &client.SetOptions{PrevValue: "nope"})
				return err
			}, client.ErrorCodeTestFailed, "Compare failed", "nope"},
			{"not_a_file", func() error { _, err := kapi.Set(ctx, "/errs/dir", "v", nil); return err },
				client.ErrorCodeNotFile, "Not a file", "/errs/dir"},
			{"not_a_directory", func() error { _, err := kapi.Set(ctx, "/errs/file/under", "v", nil); return err },
				client.ErrorCodeNotDir, "Not a directory", "/errs/file"},
			{"node_exists", func() error { _, err := kapi.Create(ctx, "/errs/file", "again"); return err },
				client.ErrorCodeNodeExist, "Key already exists", "/errs/file"},
			{"update_missing", func() error { _, err := kapi.Update(ctx, "/errs/none", "v"); return err },
				client.ErrorCodeKeyNotFound, "Key not found", "/errs/none"},
			{"dir_not_empty", func() error {
				_, err := kapi.Delete(ctx, "/errs/dir", &client.DeleteOptions{Dir: true})
				return err
			}, client.ErrorCodeDirNotEmpty, "Directory not empty", "/errs/dir"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.call()
				e, ok := err.(client.Error)
				if !ok {
					t.Fatalf("error = %T %v, want a client.Error", err, err)
				}
				if e.Code != tc.code || e.Message != tc.message || !strings.Contains(e.Cause, tc.causeHint) || e.Index == 0 {
					t.Errorf("error = %+v, want code %d, message %q, cause containing %q, an index", e, tc.code, tc.message, tc.causeHint)
				}
			})
		}
	})
}
