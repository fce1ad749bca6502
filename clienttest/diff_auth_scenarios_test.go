package clienttest_test

// The auth scenarios of the differential suite. Every one starts on a fresh
// server of each kind (runScenario starts a new etcd per scenario), so no
// auth state, user or role carries over from one scenario to the next and
// none needs resetting. A GET of the keys root first fixes the base index;
// later ones show how far each auth write moved X-Etcd-Index.

// Helpers for auth requests: JSON bodies, optional basic auth.
func aput(p, body, auth string) step { return withAuth(jsonReq("PUT", "/v2/auth"+p, body), auth) }
func aget(p, auth string) step       { return withAuth(get("/v2/auth"+p), auth) }
func adel(p, auth string) step       { return withAuth(del("/v2/auth"+p), auth) }

var (
	keysRoot = get("/v2/keys/")
	mkRoot   = aput("/users/root", `{"user":"root","password":"pw"}`, "")
	enable   = aput("/enable", ``, "")
	// lockGuest takes every right from the guest role, so anonymous
	// requests are refused.
	lockGuest = aput("/roles/guest", `{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}`, "root:pw")
	// mkReader makes role r1 (read /a/* and /e, write /a/b and /w/*) and
	// user bob holding it.
	mkReader = []step{
		aput("/roles/r1", `{"role":"r1","permissions":{"kv":{"read":["/a/*","/e"],"write":["/a/b","/w/*"]}}}`, ""),
		aput("/users/bob", `{"user":"bob","password":"bp","roles":["r1"]}`, ""),
	}
)

// locked is the preamble of the permission scenarios: bob with r1, root,
// some keys, auth on and the guest role locked.
func locked(rest ...step) []step {
	s := []step{keysRoot, put("/v2/keys/a/b", "value=1"), put("/v2/keys/e", "value=e"), put("/v2/keys/w/x", "value=w")}
	s = append(s, mkReader...)
	s = append(s, mkRoot, enable, lockGuest, keysRoot)
	return append(s, rest...)
}

func authScenarios() []scenario {
	const B, R = "bob:bp", "root:pw"
	return []scenario{
		// Users.
		{name: "auth_users_empty", steps: []step{keysRoot, aget("/users", ""), aget("/users/", ""), keysRoot}},
		{name: "auth_user_create", steps: []step{keysRoot, aput("/users/bob", `{"user":"bob","password":"p"}`, ""), keysRoot, aget("/users/bob", ""), aget("/users", "")}},
		{name: "auth_user_create_root", steps: []step{keysRoot, mkRoot, keysRoot, aget("/users/root", ""), aget("/users", "")}},
		{name: "auth_user_create_with_roles", steps: []step{keysRoot, aput("/users/root", `{"user":"root","password":"p","roles":["x"]}`, ""), aput("/users/root", `{"user":"root","password":"p","roles":["x"]}`, ""), keysRoot}},
		{name: "auth_user_update_password", steps: []step{keysRoot, aput("/users/bob", `{"user":"bob","password":"p"}`, ""), aput("/users/bob", `{"user":"bob","password":"q"}`, ""), aput("/users/bob", `{"user":"bob"}`, ""), keysRoot}},
		{name: "auth_user_empty_password", steps: []step{keysRoot, aput("/users/bob", `{"user":"bob"}`, ""), keysRoot}},
		{name: "auth_user_bad_json", steps: []step{keysRoot, aput("/users/bob", `nojson`, ""), aput("/users/bob", `{"user":"carl","password":"p"}`, "")}},
		{name: "auth_user_get_missing", steps: []step{keysRoot, aget("/users/nobody", ""), keysRoot}},
		// etcd writes its auth directories before it finds the user
		// missing: the index moves although nothing was deleted.
		{name: "auth_user_delete_missing", steps: []step{keysRoot, adel("/users/nobody", ""), keysRoot}},
		{name: "auth_user_delete", steps: []step{keysRoot, aput("/users/bob", `{"user":"bob","password":"p"}`, ""), adel("/users/bob", ""), keysRoot, aget("/users", "")}},
		{name: "auth_user_grant_revoke", steps: []step{
			keysRoot,
			aput("/users/bob", `{"user":"bob","password":"p"}`, ""),
			aput("/roles/r1", `{"role":"r1"}`, ""), aput("/roles/r2", `{"role":"r2"}`, ""),
			aput("/users/bob", `{"user":"bob","grant":["r2","r1"]}`, ""),
			aput("/users/bob", `{"user":"bob","grant":["r1"]}`, ""),
			aput("/users/bob", `{"user":"bob","revoke":["r1"]}`, ""),
			aput("/users/bob", `{"user":"bob","revoke":["r1"]}`, ""),
			aput("/users/bob", `{"user":"bob","grant":["r1"],"revoke":["r2"]}`, ""),
			keysRoot, aget("/users/bob", ""),
		}},
		{name: "auth_user_grant_missing_user", steps: []step{keysRoot, aput("/users/bob", `{"user":"bob","grant":["r1"]}`, ""), keysRoot}},
		{name: "auth_user_roles_and_grant", steps: []step{keysRoot, aput("/users/bob", `{"user":"bob","password":"p"}`, ""), aput("/users/bob", `{"user":"bob","roles":["r1"],"grant":["r2"]}`, "")}},
		// A user may hold a role that does not exist; reading the user
		// then fails, and the list shows it by name only.
		{name: "auth_user_dangling_role", steps: []step{keysRoot, aput("/users/bob", `{"user":"bob","password":"p"}`, ""), aput("/users/bob", `{"user":"bob","grant":["zz"]}`, ""), aget("/users/bob", ""), aget("/users", "")}},
		{name: "auth_user_root_role_kept", steps: []step{keysRoot, mkRoot, aput("/users/root", `{"user":"root","revoke":["root"]}`, ""), aget("/users/root", ""), aput("/users/root", `{"user":"root","password":"pw2"}`, "")}},
		{name: "auth_users_bad_path", steps: []step{keysRoot, aget("/users/a/b", ""), aget("/roles/a/b", ""), aget("/nothing", ""), aget("", "")}},
		{name: "auth_methods", steps: []step{keysRoot, withAuth(step{method: "PATCH", path: "/v2/auth/users/x"}, ""), post("/v2/auth/users", ""), post("/v2/auth/enable", ""), post("/v2/auth/roles", ""), post("/v2/auth/roles/x", "")}},

		// Roles.
		{name: "auth_roles_list", steps: []step{keysRoot, aget("/roles", ""), aget("/roles/root", ""), aget("/roles/guest", ""), aget("/roles/nope", "")}},
		{name: "auth_role_create", steps: []step{keysRoot, aput("/roles/r1", `{"role":"r1"}`, ""), keysRoot, aput("/roles/r2", `{"role":"r2","permissions":{"kv":{"read":["/a/*"]}}}`, ""), aput("/roles/r1", `{"role":"r1"}`, ""), aget("/roles", ""), keysRoot}},
		{name: "auth_role_root", steps: []step{keysRoot, aput("/roles/root", `{"role":"root"}`, ""), adel("/roles/root", ""), aput("/roles/root", `{"role":"root","grant":{"kv":{"read":["/x"]}}}`, ""), keysRoot}},
		{name: "auth_role_bad_json", steps: []step{keysRoot, aput("/roles/r1", `nojson`, ""), aput("/roles/r1", `{"role":"r2"}`, "")}},
		{name: "auth_role_grant_revoke", steps: []step{
			keysRoot,
			aput("/roles/r1", `{"role":"r1","permissions":{"kv":{"read":["/a"]}}}`, ""),
			aput("/roles/r1", `{"role":"r1","grant":{"kv":{"read":["/a","/b/*"],"write":["/c"]}}}`, ""),
			aput("/roles/r1", `{"role":"r1","grant":{"kv":{"read":["/b/*"]}}}`, ""),
			aput("/roles/r1", `{"role":"r1","grant":{"kv":{"write":["/c"]}}}`, ""),
			aput("/roles/r1", `{"role":"r1","grant":{"kv":{"write":["/c"]}}}`, ""),
			aput("/roles/r1", `{"role":"r1","revoke":{"kv":{"read":["/zz"]}}}`, ""),
			aput("/roles/r1", `{"role":"r1","revoke":{"kv":{"read":["/a"],"write":["/c"]}}}`, ""),
			keysRoot, aget("/roles/r1", ""),
		}},
		{name: "auth_role_revoke_from_nothing", steps: []step{keysRoot, aput("/roles/r0", `{"role":"r0"}`, ""), aput("/roles/r0", `{"role":"r0","revoke":{"kv":{"read":["/zz"]}}}`, ""), aput("/roles/r0", `{"role":"r0","revoke":{"kv":{"read":["/zz"]}}}`, "")}},
		{name: "auth_role_grant_and_revoke_same", steps: []step{keysRoot, aput("/roles/r1", `{"role":"r1"}`, ""), aput("/roles/r1", `{"role":"r1","grant":{"kv":{"read":["/x"]}},"revoke":{"kv":{"read":["/x"]}}}`, "")}},
		{name: "auth_role_empty_grant_is_create", steps: []step{keysRoot, aput("/roles/r1", `{"role":"r1"}`, ""), aput("/roles/r1", `{"role":"r1","grant":{}}`, ""), aput("/roles/r1", `{"role":"r1","permissions":{"kv":{"read":["/q"]}},"grant":{"kv":{"read":["/x"]}}}`, "")}},
		{name: "auth_role_update_missing", steps: []step{keysRoot, aput("/roles/r9", `{"role":"r9","grant":{"kv":{"read":["/x"]}}}`, ""), keysRoot}},
		{name: "auth_role_delete", steps: []step{keysRoot, adel("/roles/nope", ""), keysRoot, aput("/roles/r1", `{"role":"r1"}`, ""), adel("/roles/r1", ""), keysRoot, aget("/roles", "")}},

		// Enabling and disabling.
		{name: "auth_enable_no_root", steps: []step{keysRoot, aget("/enable", ""), enable, withAuth(del("/v2/auth/enable"), ""), keysRoot}},
		{name: "auth_enable_disable", steps: []step{
			keysRoot, mkRoot, keysRoot, enable, keysRoot, aget("/enable", ""), aget("/roles/guest", R),
			aput("/enable", ``, R), adel("/enable", ""), adel("/enable", B), adel("/enable", R), keysRoot, aget("/enable", ""), aget("/roles", ""),
		}},
		{name: "auth_enable_keeps_guest", steps: []step{keysRoot, mkRoot, aput("/roles/guest", `{"role":"guest"}`, ""), enable, keysRoot, aget("/roles/guest", R)}},
		{name: "auth_root_only_when_enabled", steps: []step{
			keysRoot, mkRoot, aput("/users/bob", `{"user":"bob","password":"bp"}`, ""), enable,
			aget("/users", ""), aget("/users", B), aget("/users/bob", B), aget("/users", "root:bad"), aget("/users", R), aget("/roles", ""),
			aput("/users/bob", `{"user":"bob","password":"x"}`, B), aget("/enable", "bob:wrong"),
		}},
		{name: "auth_delete_root_enabled", steps: []step{keysRoot, mkRoot, enable, adel("/users/root", R), adel("/enable", R), adel("/users/root", ""), keysRoot, enable}},
		{name: "auth_guest_default_open", steps: []step{keysRoot, mkRoot, enable, put("/v2/keys/x", "value=1"), get("/v2/keys/x"), withAuth(get("/v2/keys/x"), "root:bad"), withAuth(get("/v2/keys/x"), "nobody:pw")}},
		{name: "auth_guest_deleted", steps: []step{keysRoot, mkRoot, enable, adel("/roles/guest", R), get("/v2/keys/"), put("/v2/keys/x", "value=1"), withAuth(get("/v2/keys/"), R), aput("/roles/guest", `{"role":"guest","grant":{"kv":{"read":["/x"]}}}`, R)}},
		{name: "auth_guest_revoked", steps: []step{keysRoot, mkRoot, enable, lockGuest, lockGuest, aget("/roles/guest", R), get("/v2/keys/"), withAuth(get("/v2/keys/"), R), aput("/users/guest", `{"user":"guest","password":"pw"}`, R)}},
		{name: "auth_members_root_only", steps: []step{keysRoot, mkRoot, enable, get("/v2/members"), jsonReq("POST", "/v2/members", `{"peerURLs":["http://127.0.0.1:1"]}`), withAuth(jsonReq("DELETE", "/v2/members/1234", ``), "root:pw")}},

		// Permissions on the keys API.
		{name: "auth_perm_exact_write", steps: locked(withAuth(put("/v2/keys/a/b", "value=2"), B), withAuth(put("/v2/keys/a/c", "value=1"), B), withAuth(put("/v2/keys/a", "value=1"), B))},
		{name: "auth_perm_read_glob", steps: locked(withAuth(get("/v2/keys/a/b"), B), withAuth(get("/v2/keys/a"), B), withAuth(get("/v2/keys/a/"), B), withAuth(get("/v2/keys/a/zz/y"), B), withAuth(get("/v2/keys/w/x"), B))},
		{name: "auth_perm_recursive", steps: locked(withAuth(get("/v2/keys/a?recursive=true"), B), withAuth(get("/v2/keys/a/?recursive=true"), B), withAuth(get("/v2/keys/a/b?recursive=true"), B), withAuth(get("/v2/keys/e?recursive=true"), B))},
		{name: "auth_perm_exact_read", steps: locked(withAuth(get("/v2/keys/e"), B), withAuth(get("/v2/keys/e/f"), B), withAuth(get("/v2/keys/nokey"), B))},
		{name: "auth_perm_write_glob", steps: locked(
			withAuth(put("/v2/keys/w/y", "value=1"), B), withAuth(put("/v2/keys/w", "value=1"), B), withAuth(put("/v2/keys/w?dir=true", ""), B),
			withAuth(del("/v2/keys/w/x"), B), withAuth(del("/v2/keys/w?recursive=true"), B), withAuth(del("/v2/keys/w/?recursive=true"), B),
			withAuth(post("/v2/keys/w/q", "value=1"), B), withAuth(post("/v2/keys/w", "value=1"), B),
		)},
		{name: "auth_perm_watch", steps: locked(withAuth(get("/v2/keys/a/b?wait=true&waitIndex={i+1}"), B), withAuth(get("/v2/keys/a?wait=true&recursive=true&waitIndex={i+1}"), B), withAuth(get("/v2/keys/a/?wait=true&recursive=true&waitIndex={i+1}"), B))},
		{name: "auth_perm_head", steps: locked(withAuth(step{method: "HEAD", path: "/v2/keys/a/b"}, B), withAuth(step{method: "HEAD", path: "/v2/keys/w/x"}, B))},
		{name: "auth_perm_bad_credentials", steps: locked(withAuth(get("/v2/keys/a/b"), "bob:bad"), withAuth(get("/v2/keys/a/b"), "nobody:bp"), get("/v2/keys/a/b"), withAuth(get("/v2/keys/a/b"), "bob:"), withAuth(get("/v2/keys/a/b?prevIndex=x"), "bob:bad"))},
		{name: "auth_perm_root", steps: locked(withAuth(get("/v2/keys/?recursive=true&sorted=true"), R), withAuth(put("/v2/keys/_h", "value=1"), R), withAuth(del("/v2/keys/a?recursive=true"), R))},
		{name: "auth_perm_revoked_role", steps: locked(
			withAuth(get("/v2/keys/a/b"), B),
			aput("/roles/r1", `{"role":"r1","revoke":{"kv":{"read":["/a/*"]}}}`, R),
			withAuth(get("/v2/keys/a/b"), B),
			aput("/users/bob", `{"user":"bob","revoke":["r1"]}`, R),
			withAuth(put("/v2/keys/a/b", "value=3"), B),
			aput("/users/bob", `{"user":"bob","grant":["root"]}`, R),
			withAuth(put("/v2/keys/a/b", "value=3"), B), aget("/users", B),
		)},
		{name: "auth_perm_deleted_role", steps: locked(aput("/users/bob", `{"user":"bob","grant":["r0"]}`, R), adel("/roles/r1", R), withAuth(get("/v2/keys/a/b"), B), aput("/roles/r0", `{"role":"r0","permissions":{"kv":{"read":["/a/b"]}}}`, R), withAuth(get("/v2/keys/a/b"), B), aget("/users/bob", R))},
		{name: "auth_perm_prefix_not_dir", steps: []step{
			keysRoot, mkRoot, aput("/roles/r", `{"role":"r","permissions":{"kv":{"read":["/ab*"]}}}`, ""),
			aput("/users/u", `{"user":"u","password":"p","roles":["r"]}`, ""), enable, lockGuest,
			withAuth(get("/v2/keys/abc"), "u:p"), withAuth(get("/v2/keys/ab/c?recursive=true"), "u:p"), withAuth(get("/v2/keys/a"), "u:p"),
		}},
	}
}
