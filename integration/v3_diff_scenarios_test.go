package integration

import (
	"time"

	"github.com/seed26e043ee/client"
)

type (
	so   = client.SetOptions
	do   = client.DeleteOptions
	gopt = client.GetOptions
)

// The documented exceptions: where APIv3 answers otherwise than v2 on
// purpose (docs/v3-layout.md, "Where v3 differs from v2").
const (
	exCreatedIndex = "a Set over an existing key keeps its createdIndex on APIv3: etcd v3 keeps a key's create_revision while the key exists, " +
		"and one transaction cannot delete and put the same key; v2 replaces the node (v3-layout.md, difference 11)"
	exEventTTL = "a watch event's node has the TTL its lease has left when the event is read, none once a later write replaced the lease; " +
		"PrevNode in watch events has no TTL (v3-layout.md, difference 5)"
)

func ex(reason, want string) exception { return exception{want: want, reason: reason} }

var (
	sorted    = gopt{Sort: true}
	recSorted = gopt{Recursive: true, Sort: true}
)

// v3DiffScenarios is the table of the differential test. Each scenario
// starts from an empty key space. Indexes in options are relative to the
// index before the scenario's first step: PrevIndex 1 is the index of its
// first write.
func v3DiffScenarios() []dscenario {
	return []dscenario{
		// Get.
		{name: "get_key", steps: []dstep{dput("/foo", "bar"), dget("/foo", gopt{})}},
		{name: "get_missing", steps: []dstep{dget("/missing", gopt{})}},
		{name: "get_missing_parent", steps: []dstep{dget("/a/b/c", gopt{})}},
		{name: "get_through_key", steps: []dstep{dput("/a", "1"), dget("/a/b/c", gopt{})}},
		{name: "get_root_empty", steps: []dstep{dget("/", gopt{}), dget("", gopt{Recursive: true})}},
		{name: "get_root_listing", steps: []dstep{dput("/x/y", "1"), dput("/z", "2"), dget("/", sorted)}},
		{name: "get_root_recursive", steps: []dstep{dput("/x/y", "1"), dput("/z", "2"), dmkdir("/e"), dget("/", recSorted)}},
		{name: "get_dir_sorted", steps: []dstep{dput("/d/b", "2"), dput("/d/a", "1"), dput("/d/c/x", "3"), dget("/d", sorted)}},
		{name: "get_dir_recursive", steps: []dstep{dput("/d/b", "2"), dput("/d/a", "1"), dput("/d/c/x", "3"), dmkdir("/d/e"), dget("/d", recSorted)}},
		{name: "get_dir_one_child", steps: []dstep{dput("/d/a", "1"), dget("/d", gopt{}), dget("/d/", gopt{Recursive: true})}},
		{name: "get_quorum", steps: []dstep{dput("/foo", "bar"), dget("/foo", gopt{Quorum: true})}},
		{name: "get_quorum_missing", steps: []dstep{dget("/nope", gopt{Quorum: true})}},
		{name: "get_quorum_dir", steps: []dstep{dput("/d/e/f", "1"), dget("/d", gopt{Quorum: true, Recursive: true, Sort: true})}},
		{name: "get_key_recursive", steps: []dstep{dput("/foo", "bar"), dget("/foo", gopt{Recursive: true, Sort: true})}},
		{name: "get_empty_dir", steps: []dstep{dmkdir("/d"), dget("/d", gopt{}), dget("/d", gopt{Recursive: true})}},
		{name: "keys_odd_names", steps: []dstep{dput("/sp ace/été", "1"), dput("/a+b%20c", "2"), dget("/sp ace", gopt{Recursive: true}), dget("/a+b%20c", gopt{})}},
		{name: "values_escaped", steps: []dstep{dput("/v", "<a>&\"q\"\\n\n\u00e9\u2028\U0001F600"), dget("/v", gopt{})}},
		{name: "keys_cleaned", steps: []dstep{dput("foo/", "1"), dget("/foo", gopt{}), dput("/a//b", "2"), dget("a/./b", gopt{})}},
		{name: "neighbour_names", steps: []dstep{dput("/a-b", "1"), dput("/a/c", "2"), dput("/a0", "3"), dget("/a", recSorted), dget("/", sorted)}},

		// Set.
		{name: "set_new", steps: []dstep{dput("/foo", "bar")}},
		{name: "set_existing", steps: []dstep{dput("/foo", "bar"), dput("/foo", "baz")}, except: map[int]exception{
			1: ex(exCreatedIndex, `set index=i+2 cluster=true node={"/foo" v="baz" c=i+1 m=i+2} prev={"/foo" v="bar" c=i+1 m=i+1}`),
		}},
		{name: "set_empty_value", steps: []dstep{dput("/foo", ""), dget("/foo", gopt{})}},
		{name: "set_nested_creates_dirs", steps: []dstep{dput("/a/b/c", "1"), dget("/a", recSorted), dget("/a/b", gopt{})}},
		{name: "set_through_key", steps: []dstep{dput("/a", "1"), dput("/a/b", "2")}},
		{name: "set_root", steps: []dstep{dput("/", "1")}},
		{name: "set_on_dir", steps: []dstep{dmkdir("/d"), dput("/d", "v")}},
		{name: "set_no_value_on_success", steps: []dstep{dset("/nv", "x", so{NoValueOnSuccess: true}), dget("/nv", gopt{})}},
		{name: "set_no_value_on_error", steps: []dstep{dput("/nv", "x"), dset("/nv", "y", so{PrevExist: client.PrevNoExist, NoValueOnSuccess: true})}},
		{name: "set_no_value_cas", steps: []dstep{dput("/nv", "x"), dset("/nv", "y", so{PrevValue: "x", NoValueOnSuccess: true})}},
		{name: "set_prev_exist_invalid", steps: []dstep{dset("/foo", "x", so{PrevExist: "maybe"})}},
		{name: "set_prev_exist_as_bool", steps: []dstep{dset("/foo", "x", so{PrevExist: "1"}), dset("/foo", "y", so{PrevExist: "0"}), dset("/foo", "y", so{PrevExist: "T"})}},

		// Create and Update.
		{name: "create_ok", steps: []dstep{dcreate("/foo", "bar")}},
		{name: "create_exists", steps: []dstep{dput("/foo", "bar"), dcreate("/foo", "again")}},
		{name: "create_on_dir", steps: []dstep{dmkdir("/d"), dcreate("/d", "v")}},
		{name: "create_through_key", steps: []dstep{dput("/a", "1"), dcreate("/a/b", "2")}},
		{name: "create_nested", steps: []dstep{dcreate("/a/b/c", "1"), dget("/a", recSorted)}},
		{name: "update_ok", steps: []dstep{dput("/foo", "bar"), dupdate("/foo", "new")}},
		{name: "update_missing", steps: []dstep{dupdate("/foo", "new")}},
		{name: "update_missing_parent", steps: []dstep{dput("/a/x", "1"), dupdate("/a/b/c", "new"), dupdate("/b/c", "new")}},
		{name: "update_dir_empty_value", steps: []dstep{dmkdir("/d"), dupdate("/d", ""), dget("/d", gopt{})}},
		{name: "update_dir_value", steps: []dstep{dmkdir("/d"), dupdate("/d", "v")}},
		{name: "update_dir_as_dir", steps: []dstep{dmkdir("/d"), dset("/d", "", so{Dir: true, PrevExist: client.PrevExist})}},
		{name: "update_key_as_dir", steps: []dstep{dput("/k", "1"), dset("/k", "", so{Dir: true, PrevExist: client.PrevExist})}},
		{name: "update_through_key", steps: []dstep{dput("/a", "1"), dupdate("/a/b", "2")}},

		// CreateInOrder.
		{name: "inorder", steps: []dstep{dinorder("/q", "j1", 0), dinorder("/q", "j2", 0), dget("/q", sorted)}},
		{name: "inorder_ttl", steps: []dstep{dinorder("/q", "j1", 1000*time.Second), dget("/q", recSorted)}},
		{name: "inorder_under_key", steps: []dstep{dput("/q", "1"), dinorder("/q", "j1", 0)}},
		{name: "inorder_root", steps: []dstep{dinorder("/", "r", 0), dget("/", sorted)}},
		{name: "inorder_nested", steps: []dstep{dinorder("/a/b/q", "j", 0), dget("/a", recSorted)}},
		{name: "inorder_existing_dir", steps: []dstep{dput("/q/x", "1"), dinorder("/q", "j", 0), dget("/q", recSorted)}},
		{name: "inorder_in_ttl_dir", steps: []dstep{dset("/d", "", so{Dir: true, TTL: 1000 * time.Second}), dinorder("/d", "j", 0), dget("/d", recSorted)}},

		// Delete.
		{name: "delete_key", steps: []dstep{dput("/foo", "bar"), ddel("/foo", do{}), dget("/foo", gopt{})}},
		{name: "delete_missing", steps: []dstep{ddel("/foo", do{})}},
		{name: "delete_missing_parent", steps: []dstep{dmkdir("/a"), ddel("/a/b/c", do{}), ddel("/b/c", do{Recursive: true})}},
		{name: "delete_through_key", steps: []dstep{dput("/a", "1"), ddel("/a/b", do{})}},
		{name: "delete_dir_without_dir", steps: []dstep{dmkdir("/d"), ddel("/d", do{})}},
		{name: "delete_empty_dir", steps: []dstep{dmkdir("/d"), ddel("/d", do{Dir: true}), dget("/d", gopt{})}},
		{name: "delete_dir_not_empty", steps: []dstep{dput("/d/k", "1"), ddel("/d", do{Dir: true})}},
		{name: "delete_dir_recursive", steps: []dstep{dput("/d/k", "1"), dput("/d/e/f", "2"), ddel("/d", do{Recursive: true}), dget("/d/k", gopt{}), dget("/d", gopt{})}},
		{name: "delete_dir_recursive_and_dir", steps: []dstep{dput("/d/k", "1"), ddel("/d", do{Recursive: true, Dir: true})}},
		{name: "delete_key_with_dir_flag", steps: []dstep{dput("/foo", "1"), ddel("/foo", do{Dir: true})}},
		{name: "delete_key_recursive", steps: []dstep{dput("/foo", "1"), ddel("/foo", do{Recursive: true})}},
		{name: "delete_root", steps: []dstep{dput("/a", "1"), ddel("/", do{}), ddel("/", do{Recursive: true})}},
		{name: "delete_last_child_keeps_dir", steps: []dstep{dput("/d/k", "1"), ddel("/d/k", do{}), dget("/d", gopt{})}},

		// Compare-and-swap.
		{name: "cas_value_ok", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevValue: "bar"})}},
		{name: "cas_value_fail", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevValue: "nope"})}},
		{name: "cas_index_ok", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevIndex: 1})}},
		{name: "cas_index_fail", steps: []dstep{dput("/foo", "bar"), dupdate("/foo", "bar2"), idx(dset("/foo", "baz", so{PrevIndex: 1}))}},
		{name: "cas_both_fail", steps: []dstep{dput("/foo", "bar"), dupdate("/foo", "bar2"), idx(dset("/foo", "baz", so{PrevIndex: 1, PrevValue: "zz"}))}},
		{name: "cas_both_ok", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevIndex: 1, PrevValue: "bar"})}},
		{name: "cas_index_ok_value_fail", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevIndex: 1, PrevValue: "zz"})}},
		{name: "cas_with_prev_exist", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevExist: client.PrevExist, PrevValue: "bar"}), dset("/foo", "x", so{PrevExist: client.PrevExist, PrevValue: "nope"})}},
		{name: "cas_with_prev_no_exist", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevExist: client.PrevNoExist, PrevValue: "bar"}), dset("/new", "baz", so{PrevExist: client.PrevNoExist, PrevValue: "bar"})}},
		{name: "cas_missing_parent", steps: []dstep{dset("/a/b", "x", so{PrevValue: "a"}), ddel("/a/b", do{PrevIndex: 3})}},
		{name: "cas_missing", steps: []dstep{dset("/nope", "x", so{PrevValue: "a"}), dset("/nope", "x", so{PrevIndex: 3})}},
		{name: "cas_dir", steps: []dstep{dmkdir("/d"), dset("/d", "zz", so{PrevValue: "x"}), dset("/d", "zz", so{PrevIndex: 1})}},
		{name: "cas_ttl", steps: []dstep{dput("/foo", "bar"), dset("/foo", "baz", so{PrevValue: "bar", TTL: 1000 * time.Second}), dget("/foo", gopt{})}},
		{name: "cas_through_key", steps: []dstep{dput("/a", "1"), dset("/a/b", "2", so{PrevValue: "1"})}},
		{name: "cas_dir_flag_ignores_value", steps: []dstep{dmkdir("/d"), dset("/d", "", so{Dir: true, PrevValue: "x", PrevExist: client.PrevExist})}},

		// Compare-and-delete.
		{name: "cad_value_ok", steps: []dstep{dput("/foo", "baz"), ddel("/foo", do{PrevValue: "baz"})}},
		{name: "cad_value_fail", steps: []dstep{dput("/foo", "baz"), ddel("/foo", do{PrevValue: "nope"})}},
		{name: "cad_index_ok", steps: []dstep{dput("/foo", "baz"), ddel("/foo", do{PrevIndex: 1})}},
		{name: "cad_index_fail", steps: []dstep{dput("/foo", "baz"), idx(ddel("/foo", do{PrevIndex: 5}))}},
		{name: "cad_both", steps: []dstep{dput("/foo", "baz"), idx(ddel("/foo", do{PrevIndex: 5, PrevValue: "nope"})), ddel("/foo", do{PrevIndex: 1, PrevValue: "baz"})}},
		{name: "cad_missing", steps: []dstep{ddel("/foo", do{PrevValue: "baz"})}},
		{name: "cad_dir", steps: []dstep{dmkdir("/d"), ddel("/d", do{PrevValue: "baz"}), ddel("/d", do{PrevIndex: 1, Dir: true})}},

		// Directories.
		{name: "mkdir", steps: []dstep{dmkdir("/dir"), dget("/dir", gopt{})}},
		{name: "mkdir_existing", steps: []dstep{dmkdir("/dir"), dmkdir("/dir")}},
		{name: "mkdir_create_existing", steps: []dstep{dmkdir("/dir"), dset("/dir", "", so{Dir: true, PrevExist: client.PrevNoExist})}},
		{name: "mkdir_create", steps: []dstep{dset("/dir", "", so{Dir: true, PrevExist: client.PrevNoExist}), dget("/", recSorted)}},
		{name: "mkdir_over_key", steps: []dstep{dput("/k", "1"), dmkdir("/k"), dget("/k", gopt{})}},
		{name: "mkdir_nested", steps: []dstep{dmkdir("/a/b/c"), dget("/a", recSorted)}},
		{name: "update_dir_ttl", steps: []dstep{dmkdir("/dir"), dset("/dir", "", so{Dir: true, PrevExist: client.PrevExist, TTL: 1000 * time.Second}), dget("/dir", gopt{})}},
		{name: "hidden_keys", steps: []dstep{dput("/d/_h", "h"), dput("/d/v", "v"), dput("/d/_hd/x", "x"), dget("/d", sorted), dget("/d", recSorted), dget("/d/_h", gopt{}), dget("/d/_hd", recSorted), ddel("/d/v", do{}), ddel("/d", do{Dir: true})}},

		// TTLs and refresh.
		{name: "ttl_set", steps: []dstep{dset("/t", "x", so{TTL: 1000 * time.Second}), dget("/t", gopt{}), dget("/", recSorted)}},
		{name: "ttl_cleared_by_update", steps: []dstep{dset("/t", "x", so{TTL: 1000 * time.Second}), dupdate("/t", "y"), dget("/t", gopt{})}},
		{name: "ttl_cleared_by_set", steps: []dstep{dset("/t", "x", so{TTL: 1000 * time.Second}), dput("/t", "x"), dget("/t", gopt{})}, except: map[int]exception{
			1: ex(exCreatedIndex, `set index=i+2 cluster=true node={"/t" v="x" c=i+1 m=i+2} prev={"/t" v="x" c=i+1 m=i+1 ttl=1000 exp}`),
			2: ex(exCreatedIndex, `get index=i+2 cluster=true node={"/t" v="x" c=i+1 m=i+2} prev=nil`),
		}},
		{name: "ttl_replaced", steps: []dstep{dset("/t", "x", so{TTL: 1000 * time.Second}), dset("/t", "y", so{TTL: 2000 * time.Second}), dget("/t", gopt{})}, except: map[int]exception{
			1: ex(exCreatedIndex, `set index=i+2 cluster=true node={"/t" v="y" c=i+1 m=i+2 ttl=2000 exp} prev={"/t" v="x" c=i+1 m=i+1 ttl=1000 exp}`),
			2: ex(exCreatedIndex, `get index=i+2 cluster=true node={"/t" v="y" c=i+1 m=i+2 ttl=2000 exp} prev=nil`),
		}},
		{name: "ttl_dir", steps: []dstep{dset("/d", "", so{Dir: true, TTL: 1000 * time.Second}), dput("/d/a", "1"), dget("/d", recSorted), dget("/d/a", gopt{})}},
		{name: "refresh_update", steps: []dstep{dset("/t", "x", so{TTL: 1000 * time.Second}), dset("/t", "", so{PrevExist: client.PrevExist, TTL: 2000 * time.Second, Refresh: true}), dget("/t", gopt{})}},
		{name: "refresh_set", steps: []dstep{dset("/t", "x", so{TTL: 1000 * time.Second}), dset("/t", "", so{TTL: 2000 * time.Second, Refresh: true})}, except: map[int]exception{
			1: ex(exCreatedIndex, `set index=i+2 cluster=true node={"/t" v="x" c=i+1 m=i+2 ttl=2000 exp} prev={"/t" v="x" c=i+1 m=i+1 ttl=1000 exp}`),
		}},
		{name: "refresh_cas", steps: []dstep{dset("/t", "x", so{TTL: 1000 * time.Second}), dset("/t", "", so{PrevValue: "x", TTL: 2000 * time.Second, Refresh: true})}},
		{name: "refresh_with_value", steps: []dstep{dset("/t", "1", so{TTL: 10 * time.Second, Refresh: true})}},
		{name: "refresh_without_ttl", steps: []dstep{dset("/t", "", so{Refresh: true})}},
		{name: "refresh_missing", steps: []dstep{dset("/nokey", "", so{TTL: 10 * time.Second, Refresh: true})}},
		{name: "refresh_permanent_key", steps: []dstep{dput("/t", "x"), dset("/t", "", so{TTL: 1000 * time.Second, Refresh: true}), dget("/t", gopt{})}, except: map[int]exception{
			1: ex(exCreatedIndex, `set index=i+2 cluster=true node={"/t" v="x" c=i+1 m=i+2 ttl=1000 exp} prev={"/t" v="x" c=i+1 m=i+1}`),
			2: ex(exCreatedIndex, `get index=i+2 cluster=true node={"/t" v="x" c=i+1 m=i+2 ttl=1000 exp} prev=nil`),
		}},

		// Expiry, waited for with a watch.
		{name: "expire_key", steps: []dstep{
			dwatch("w", "/t", false, 0),
			dset("/t", "x", so{TTL: time.Second}), dnext("w"), dnext("w"), dget("/t", gopt{}),
		}},
		{name: "expire_dir_takes_subtree", steps: []dstep{
			dwatch("w", "/d", true, 0),
			dset("/d", "", so{Dir: true, TTL: time.Second}), dput("/d/a", "1"), dput("/d/b/c", "2"),
			dnext("w"), dnext("w"), dnext("w"), dnext("w"), dget("/d/a", gopt{}), dget("/d", gopt{}),
		}},
		{name: "expire_inorder", steps: []dstep{
			dwatch("w", "/q", true, 0),
			dinorder("/q", "j", time.Second), dnext("w"), dnext("w"), dget("/q", recSorted),
		}},
		{name: "expire_after_refresh", steps: []dstep{
			dwatch("w", "/t", false, 0),
			dset("/t", "x", so{TTL: time.Second}), dset("/t", "", so{TTL: time.Second, Refresh: true, PrevExist: client.PrevExist}),
			dnext("w"), dnext("w"),
		}, except: map[int]exception{
			2: ex(exEventTTL, `set index=<watch> cluster=true node={"/t" v="x" c=i+1 m=i+1} prev=nil`),
		}},

		// Watch.
		{name: "watch_actions", steps: []dstep{
			dwatch("w", "/w", true, 0),
			dput("/w/a", "1"), dcreate("/w/b", "2"), dupdate("/w/a", "3"), dset("/w/a", "4", so{PrevValue: "3"}),
			ddel("/w/b", do{PrevValue: "2"}), ddel("/w/a", do{}), dmkdir("/w/d"), ddel("/w/d", do{Dir: true}),
			dnext("w"), dnext("w"), dnext("w"), dnext("w"), dnext("w"), dnext("w"), dnext("w"), dnext("w"),
		}},
		{name: "watch_key_only", steps: []dstep{
			dwatch("w", "/w/a", false, 0),
			dput("/w/a", "1"), dput("/w/b", "2"), dput("/w/a/x", "no"), dupdate("/w/a", "3"), ddel("/w/a", do{PrevIndex: 3}),
			dnext("w"), dnext("w"), dnext("w"),
		}},
		{name: "watch_dir_not_recursive", steps: []dstep{
			dwatch("w", "/w", false, 0),
			dmkdir("/w"), dput("/w/a", "1"), ddel("/w", do{Recursive: true}), dnext("w"), dnext("w"),
		}},
		{name: "watch_dir_create", steps: []dstep{
			dwatch("w", "/d", false, 0),
			dset("/d", "", so{Dir: true, PrevExist: client.PrevNoExist}), dnext("w"),
		}},
		{name: "watch_from_now", steps: []dstep{
			dput("/n", "old"), dwatchNow("w", "/n", false), dnextAsync("w"), dupdate("/n", "new"), dawait("w"),
		}},
		{name: "watch_from_now_recursive", steps: []dstep{
			dwatchNow("w", "/n", true), dnextAsync("w"), dcreate("/n/a/b", "1"), dawait("w"), dupdate("/n/a/b", "2"), dnext("w"),
		}},
		{name: "watch_history", steps: []dstep{
			dput("/h", "1"), dupdate("/h", "2"), dupdate("/h", "3"), dwatch("w", "/h", false, 1), dnext("w"), dnext("w"),
		}},
		{name: "watch_recursive_delete", steps: []dstep{
			dwatch("w", "/r", true, 0),
			dput("/r/a/b", "1"), dput("/r/a/c", "2"), ddel("/r/a", do{Recursive: true}), dnext("w"), dnext("w"), dnext("w"),
		}},
		{name: "watch_inorder", steps: []dstep{dwatch("w", "/q", true, 0), dinorder("/q", "j", 0), dnext("w")}},
		{name: "watch_root", steps: []dstep{dwatch("w", "/", true, 0), dput("/a", "1"), dput("/b/c", "2"), dnext("w"), dnext("w")}},
		{name: "watch_hidden_skipped", steps: []dstep{dwatch("w", "/x", true, 0), dput("/x/_h", "h"), dput("/x/v", "v"), dnext("w")}},
		{name: "watch_hidden_key_itself", steps: []dstep{dwatch("w", "/x/_h", false, 0), dput("/x/_h", "h"), dnext("w")}},
		{name: "watch_prev_node_ttl", steps: []dstep{
			dwatch("w", "/p", false, 0),
			dset("/p", "1", so{TTL: 1000 * time.Second}), dupdate("/p", "2"), dnext("w"), dnext("w"),
		}, except: map[int]exception{
			2: ex(exEventTTL, `set index=<watch> cluster=true node={"/p" v="1" c=i+1 m=i+1} prev=nil`),
			3: ex(exEventTTL, `update index=<watch> cluster=true node={"/p" v="2" c=i+1 m=i+2} prev={"/p" v="1" c=i+1 m=i+1}`),
		}},
		{name: "watch_refresh_skipped", steps: []dstep{
			dwatch("w", "/t", false, 0),
			dset("/t", "x", so{TTL: 1000 * time.Second}), dset("/t", "", so{TTL: 2000 * time.Second, Refresh: true, PrevExist: client.PrevExist}), dupdate("/t", "y"),
			dnext("w"), dnext("w"),
		}, except: map[int]exception{
			3: ex(exEventTTL, `set index=<watch> cluster=true node={"/t" v="x" c=i+1 m=i+1} prev=nil`),
			4: ex(exEventTTL, `update index=<watch> cluster=true node={"/t" v="y" c=i+1 m=i+3} prev={"/t" v="x" c=i+1 m=i+2}`),
		}},
		{name: "watch_failed_write_no_event", steps: []dstep{
			dwatch("w", "/w", true, 0),
			dput("/w/a", "1"), dset("/w/a", "2", so{PrevValue: "nope"}), dcreate("/w/a", "3"), dupdate("/w/a", "4"), dnext("w"), dnext("w"),
		}},
		{name: "watch_mkdir_over_key", steps: []dstep{
			dwatch("w", "/w", true, 0),
			dput("/w/k", "1"), dmkdir("/w/k"), dput("/w/k/x", "2"), dnext("w"), dnext("w"), dnext("w"),
		}},
		{name: "watch_compacted", steps: []dstep{
			dput("/churn", "start"), dchurn(1001), dcompactKeep(1000), dwatch("w", "/churn", false, 1), idx(dnext("w")),
		}},
	}
}
