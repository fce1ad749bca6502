package clienttest_test

import (
	"fmt"
	"strings"
)

func kvPut(body string) v3req    { return vdPost("/v3/kv/put", body) }
func kvRange(body string) v3req  { return vdPost("/v3/kv/range", body) }
func kvDelete(body string) v3req { return vdPost("/v3/kv/deleterange", body) }
func kvTxn(body string) v3req    { return vdPost("/v3/kv/txn", body) }
func kvCompact(body string) v3req {
	return vdPost("/v3/kv/compaction", body)
}
func leaseGrant(body string) v3req  { return vdPost("/v3/lease/grant", body) }
func leaseRevoke(body string) v3req { return vdPost("/v3/lease/revoke", body) }
func leaseTTL(body string) v3req    { return vdPost("/v3/lease/timetolive", body) }

// watch is a watch stream; keepAlive a keep-alive stream.
func watch(acts ...v3act) v3req     { return v3stream("/v3/watch", acts...) }
func keepAlive(acts ...v3act) v3req { return v3stream("/v3/lease/keepalive", acts...) }

// txnPuts is a txn body with n puts of distinct keys.
func txnPuts(n int) string {
	ops := make([]string, n)
	for i := range ops {
		ops[i] = fmt.Sprintf(`{"request_put":{"key":{k:t%d},"value":{v:x}}}`, i)
	}
	return `{"success":[` + strings.Join(ops, ",") + `]}`
}

// v3Scenarios is the table of the gateway differential suite. Keys are
// written {k:NAME} (in the scenario's own namespace), revisions {r+N}
// from the scenario's base: {r+1} is its first write.
func v3Scenarios() []v3scenario {
	return []v3scenario{
		// Put.
		{name: "put_new", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_overwrite_prev_kv", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2},"prev_kv":true}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_prev_kv_new_key", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1},"prev_kv":true}`)}},
		{name: "put_empty_value", steps: []v3req{kvPut(`{"key":{k:a}}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_binary", steps: []v3req{kvPut(`{"key":{k:b` + "\x00\xff\x01" + `},"value":{v:` + "\xfe\x00" + `}}`), kvRange(`{"key":{k:b` + "\x00\xff\x01" + `}}`)}},
		{name: "put_ignore_value", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"ignore_value":true,"prev_kv":true}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_ignore_value_missing", steps: []v3req{kvPut(`{"key":{k:a},"ignore_value":true}`)}},
		{name: "put_ignore_value_with_value", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1},"ignore_value":true}`)}},
		{name: "put_empty_key", steps: []v3req{kvPut(`{"value":{v:1}}`)}},
		{name: "put_with_lease", steps: []v3req{leaseGrant(`{"TTL":100,"ID":1001}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":1001}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_with_server_lease", steps: []v3req{leaseGrant(`{"TTL":100}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":{lease:0}}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_lease_not_found", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1},"lease":1002}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_ignore_lease", steps: []v3req{leaseGrant(`{"TTL":100,"ID":1003}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":1003}`), kvPut(`{"key":{k:a},"value":{v:2},"ignore_lease":true}`), kvRange(`{"key":{k:a}}`)}},
		{name: "put_ignore_lease_with_lease", steps: []v3req{leaseGrant(`{"TTL":100,"ID":1004}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":1004,"ignore_lease":true}`)}},
		{name: "put_clears_lease", steps: []v3req{leaseGrant(`{"TTL":100,"ID":1005}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":1005}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvRange(`{"key":{k:a}}`), leaseTTL(`{"ID":1005,"keys":true}`)}},
		{name: "put_too_large", steps: []v3req{kvPut(`{"key":{k:a},"value":"` + strings.Repeat("QUFB", 600*1024) + `"}`)}},

		// Range.
		{name: "range_missing", steps: []v3req{kvRange(`{"key":{k:a}}`)}},
		{name: "range_prefix", steps: []v3req{kvPut(`{"key":{k:p/1},"value":{v:1}}`), kvPut(`{"key":{k:p/2},"value":{v:2}}`), kvPut(`{"key":{k:q},"value":{v:3}}`), kvRange(`{"key":{k:p/},"range_end":{end:p/}}`)}},
		{name: "range_limit_more", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:b},"value":{v:2}}`), kvPut(`{"key":{k:c},"value":{v:3}}`), kvRange(`{"key":{k:},"range_end":{end:},"limit":2}`), kvRange(`{"key":{k:},"range_end":{end:},"limit":3}`)}},
		{name: "range_limit_negative", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvRange(`{"key":{k:},"range_end":{end:},"limit":-1}`)}},
		{name: "range_sort_key_descend", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:3}}`), kvPut(`{"key":{k:b},"value":{v:1}}`), kvRange(`{"key":{k:},"range_end":{end:},"sort_order":"DESCEND"}`)}},
		{name: "range_sort_targets", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:3}}`), kvPut(`{"key":{k:b},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvPut(`{"key":{k:c},"value":{v:0}}`),
			kvRange(`{"key":{k:},"range_end":{end:},"sort_target":"VALUE"}`),
			kvRange(`{"key":{k:},"range_end":{end:},"sort_target":"VERSION","sort_order":"DESCEND"}`),
			kvRange(`{"key":{k:},"range_end":{end:},"sort_target":"CREATE","sort_order":"DESCEND"}`),
			kvRange(`{"key":{k:},"range_end":{end:},"sort_target":"MOD","sort_order":"ASCEND"}`),
			kvRange(`{"key":{k:},"range_end":{end:},"sort_target":"MOD","sort_order":"DESCEND","limit":2}`),
		}},
		{name: "range_count_keys_only", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:b},"value":{v:2}}`), kvRange(`{"key":{k:},"range_end":{end:},"count_only":true}`), kvRange(`{"key":{k:},"range_end":{end:},"keys_only":true}`)}},
		{name: "range_at_revision", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvDelete(`{"key":{k:a}}`), kvRange(`{"key":{k:a},"revision":{r+1}}`), kvRange(`{"key":{k:a},"revision":{r+2}}`), kvRange(`{"key":{k:a},"revision":{r+3}}`)}},
		{name: "range_future_revision", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvRange(`{"key":{k:a},"revision":{r+2}}`)}},
		{name: "range_revision_filters", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:b},"value":{v:2}}`), kvPut(`{"key":{k:a},"value":{v:3}}`),
			kvRange(`{"key":{k:},"range_end":{end:},"min_mod_revision":{r+3}}`),
			kvRange(`{"key":{k:},"range_end":{end:},"max_mod_revision":{r+2}}`),
			kvRange(`{"key":{k:},"range_end":{end:},"min_create_revision":{r+2}}`),
			kvRange(`{"key":{k:},"range_end":{end:},"max_create_revision":{r+1}}`),
		}},
		{name: "range_serializable", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvRange(`{"key":{k:a},"serializable":true}`)}},
		{name: "range_end_before_key", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:b},"value":{v:1}}`), kvRange(`{"key":{k:b},"range_end":{k:a}}`)}},
		{name: "range_negative_revision", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvRange(`{"key":{k:a},"revision":-1}`), kvRange(`{"key":{k:a},"revision":0}`)}},
		{name: "range_nested_in_txn", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvPut(`{"key":{k:b},"value":{v:3}}`),
			kvTxn(`{"success":[{"request_range":{"key":{k:a},"revision":{r+1}}},{"request_range":{"key":{k:},"range_end":{end:},"count_only":true}},{"request_range":{"key":{k:},"range_end":{end:},"limit":1,"sort_order":"DESCEND","keys_only":true}}]}`),
		}},
		{name: "range_no_key", steps: []v3req{kvRange(`{}`), kvRange(``)}},

		// Delete.
		{name: "delete_key", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvDelete(`{"key":{k:a}}`), kvRange(`{"key":{k:a}}`)}},
		{name: "delete_prev_kv", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvDelete(`{"key":{k:a},"prev_kv":true}`)}},
		{name: "delete_missing", steps: []v3req{kvDelete(`{"key":{k:a},"prev_kv":true}`)}},
		{name: "delete_prefix", steps: []v3req{kvPut(`{"key":{k:d/1},"value":{v:1}}`), kvPut(`{"key":{k:d/2},"value":{v:2}}`), kvPut(`{"key":{k:e},"value":{v:3}}`), kvDelete(`{"key":{k:d/},"range_end":{end:d/},"prev_kv":true}`), kvRange(`{"key":{k:},"range_end":{end:}}`)}},
		{name: "delete_empty_key", steps: []v3req{kvDelete(`{}`)}},
		{name: "delete_recreate", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvDelete(`{"key":{k:a}}`), kvPut(`{"key":{k:a},"value":{v:3}}`), kvRange(`{"key":{k:a}}`)}},

		// Txn.
		{name: "txn_empty", steps: []v3req{kvTxn(`{}`)}},
		{name: "txn_version", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VERSION","result":"EQUAL","version":2}],"success":[{"request_range":{"key":{k:a}}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VERSION","result":"GREATER","version":2}],"failure":[{"request_range":{"key":{k:a}}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VERSION","result":"LESS","version":3}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VERSION","result":"NOT_EQUAL","version":2}]}`),
		}},
		{name: "txn_create", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"CREATE","result":"EQUAL","create_revision":{r+1}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"CREATE","result":"GREATER","create_revision":{r+1}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"CREATE","result":"LESS","create_revision":{r+2}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"CREATE","result":"NOT_EQUAL","create_revision":{r+2}}]}`),
		}},
		{name: "txn_mod", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"MOD","result":"EQUAL","mod_revision":{r+2}}],"success":[{"request_put":{"key":{k:a},"value":{v:3},"prev_kv":true}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"MOD","result":"EQUAL","mod_revision":{r+2}}],"failure":[{"request_range":{"key":{k:a}}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"MOD","result":"GREATER","mod_revision":{r+1}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"MOD","result":"LESS","mod_revision":{r+3}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"MOD","result":"NOT_EQUAL","mod_revision":{r+3}}]}`),
		}},
		{name: "txn_value", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:m}}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VALUE","result":"EQUAL","value":{v:m}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VALUE","result":"GREATER","value":{v:a}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VALUE","result":"LESS","value":{v:a}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VALUE","result":"NOT_EQUAL","value":{v:m}}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VALUE","result":"EQUAL"}]}`),
		}},
		{name: "txn_lease", steps: []v3req{
			leaseGrant(`{"TTL":100,"ID":2001}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":2001}`), kvPut(`{"key":{k:b},"value":{v:1}}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"LEASE","result":"EQUAL","lease":2001}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"LEASE","result":"GREATER","lease":2000}]}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"LEASE","result":"LESS","lease":2000}]}`),
			kvTxn(`{"compare":[{"key":{k:b},"target":"LEASE","result":"NOT_EQUAL","lease":2001}]}`),
			kvTxn(`{"compare":[{"key":{k:b},"target":"LEASE","result":"EQUAL"}]}`),
		}},
		{name: "txn_missing_key_compares", steps: []v3req{
			kvTxn(`{"compare":[{"key":{k:a},"target":"VERSION","result":"EQUAL","version":0}],"success":[{"request_put":{"key":{k:a},"value":{v:1}}}]}`),
			kvTxn(`{"compare":[{"key":{k:n},"target":"CREATE","result":"EQUAL","create_revision":0}]}`),
			kvTxn(`{"compare":[{"key":{k:n},"target":"MOD","result":"LESS","mod_revision":1}]}`),
			kvTxn(`{"compare":[{"key":{k:n},"target":"VALUE","result":"EQUAL","value":""}]}`),
			kvTxn(`{"compare":[{"key":{k:n},"target":"LEASE","result":"EQUAL","lease":0}]}`),
		}},
		{name: "txn_range_end_compare", steps: []v3req{
			kvPut(`{"key":{k:p/a},"value":{v:1}}`), kvPut(`{"key":{k:p/b},"value":{v:1}}`), kvPut(`{"key":{k:p/b},"value":{v:2}}`),
			kvTxn(`{"compare":[{"key":{k:p/},"range_end":{end:p/},"target":"VERSION","result":"GREATER","version":0}]}`),
			kvTxn(`{"compare":[{"key":{k:p/},"range_end":{end:p/},"target":"VERSION","result":"EQUAL","version":1}]}`),
			kvTxn(`{"compare":[{"key":{k:p/},"range_end":{end:p/},"target":"MOD","result":"LESS","mod_revision":{r+4}}]}`),
			kvTxn(`{"compare":[{"key":{k:x/},"range_end":{end:x/},"target":"VERSION","result":"EQUAL","version":5}]}`),
		}},
		{name: "txn_all_ops", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:d},"value":{v:1}}`),
			kvTxn(`{"success":[{"request_put":{"key":{k:b},"value":{v:2},"prev_kv":true}},{"request_range":{"key":{k:},"range_end":{end:}}},{"request_delete_range":{"key":{k:d},"prev_kv":true}},{"request_put":{"key":{k:a},"value":{v:3},"prev_kv":true}}]}`),
			kvRange(`{"key":{k:},"range_end":{end:}}`),
		}},
		{name: "txn_multiple_compares", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:b},"value":{v:2}}`),
			kvTxn(`{"compare":[{"key":{k:a},"target":"VALUE","result":"EQUAL","value":{v:1}},{"key":{k:b},"target":"VALUE","result":"EQUAL","value":{v:1}}],"success":[{"request_delete_range":{"key":{k:a}}}],"failure":[{"request_delete_range":{"key":{k:b},"prev_kv":true}}]}`),
		}},
		{name: "txn_nested", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`),
			kvTxn(`{"success":[{"request_txn":{"compare":[{"key":{k:a},"target":"VALUE","result":"EQUAL","value":{v:1}}],"success":[{"request_put":{"key":{k:b},"value":{v:2}}},{"request_range":{"key":{k:a}}}],"failure":[{"request_put":{"key":{k:c},"value":{v:3}}}]}},{"request_range":{"key":{k:b}}}]}`),
			kvTxn(`{"success":[{"request_txn":{"success":[{"request_txn":{"success":[{"request_delete_range":{"key":{k:b}}}]}}]}}]}`),
		}},
		{name: "txn_put_then_range", steps: []v3req{kvTxn(`{"success":[{"request_put":{"key":{k:a},"value":{v:1}}},{"request_range":{"key":{k:a}}}]}`)}},
		{name: "txn_duplicate_keys", steps: []v3req{
			kvTxn(`{"success":[{"request_put":{"key":{k:a},"value":{v:1}}},{"request_put":{"key":{k:a},"value":{v:2}}}]}`),
			kvTxn(`{"success":[{"request_put":{"key":{k:p/a},"value":{v:1}}},{"request_delete_range":{"key":{k:p/},"range_end":{end:p/}}}]}`),
			kvTxn(`{"success":[{"request_put":{"key":{k:a},"value":{v:1}}}],"failure":[{"request_put":{"key":{k:a},"value":{v:2}}}]}`),
			kvRange(`{"key":{k:},"range_end":{end:}}`),
		}},
		{name: "txn_lease_not_found", steps: []v3req{kvTxn(`{"success":[{"request_put":{"key":{k:a},"value":{v:1},"lease":2002}}]}`), kvRange(`{"key":{k:a}}`)}},
		{name: "txn_compare_empty_key", steps: []v3req{kvTxn(`{"compare":[{"target":"VERSION","result":"EQUAL","version":0}]}`)}},
		{name: "txn_empty_key_op", steps: []v3req{kvTxn(`{"success":[{"request_put":{"value":{v:1}}}]}`)}},
		{name: "txn_too_many_ops", steps: []v3req{kvTxn(txnPuts(129)), kvTxn(txnPuts(128)), kvRange(`{"key":{k:},"range_end":{end:},"count_only":true}`)}},

		// Compaction.
		{name: "compact_then_read", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`),
			kvCompact(`{"revision":{r+2}}`),
			kvRange(`{"key":{k:a},"revision":{r+1}}`), kvRange(`{"key":{k:a},"revision":{r+2}}`), kvRange(`{"key":{k:a}}`),
		}},
		{name: "compact_twice", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvCompact(`{"revision":{r+2},"physical":true}`), kvCompact(`{"revision":{r+1}}`), kvCompact(`{"revision":{r+2}}`)}},
		{name: "compact_zero", steps: []v3req{kvCompact(`{}`)}},
		{name: "compact_future", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1}}`), kvCompact(`{"revision":{r+5}}`)}},

		// Leases.
		{name: "lease_grant_server_id", steps: []v3req{leaseGrant(`{"TTL":60}`), leaseTTL(`{"ID":{lease:0}}`), leaseRevoke(`{"ID":{lease:0}}`), leaseTTL(`{"ID":{lease:0}}`)}},
		{name: "lease_grant_chosen_id", steps: []v3req{leaseGrant(`{"TTL":60,"ID":3001}`), leaseTTL(`{"ID":3001}`)}},
		{name: "lease_grant_duplicate_id", steps: []v3req{leaseGrant(`{"TTL":60,"ID":3002}`), leaseGrant(`{"TTL":30,"ID":3002}`)}},
		{name: "lease_grant_min_ttl", steps: []v3req{leaseGrant(`{"TTL":1,"ID":3003}`), leaseGrant(`{"ID":3004}`)}},
		{name: "lease_grant_negative_ttl", steps: []v3req{leaseGrant(`{"TTL":-5,"ID":3015}`)}},
		{name: "lease_grant_ttl_too_large", steps: []v3req{leaseGrant(`{"TTL":9000000001,"ID":3005}`)}},
		{name: "lease_revoke_deletes_keys", steps: []v3req{
			leaseGrant(`{"TTL":100,"ID":3006}`),
			kvPut(`{"key":{k:a},"value":{v:1},"lease":3006}`), kvPut(`{"key":{k:b},"value":{v:2},"lease":3006}`), kvPut(`{"key":{k:c},"value":{v:3}}`),
			leaseRevoke(`{"ID":3006}`),
			kvRange(`{"key":{k:},"range_end":{end:}}`),
		}},
		{name: "lease_revoke_missing", steps: []v3req{leaseRevoke(`{"ID":3007}`), leaseRevoke(`{}`)}},
		{name: "lease_timetolive_keys", steps: []v3req{
			leaseGrant(`{"TTL":100,"ID":3008}`),
			kvPut(`{"key":{k:b},"value":{v:1},"lease":3008}`), kvPut(`{"key":{k:a},"value":{v:2},"lease":3008}`),
			leaseTTL(`{"ID":3008,"keys":true}`), leaseTTL(`{"ID":3008}`),
		}},
		{name: "lease_timetolive_missing", steps: []v3req{leaseTTL(`{"ID":3009}`), leaseTTL(`{"ID":3009,"keys":true}`)}},
		{name: "lease_keepalive", steps: []v3req{leaseGrant(`{"TTL":100,"ID":3010}`), keepAlive(vdSend(`{"ID":3010}`), vdRead(1), vdSend(`{"ID":3010}`), vdRead(1))}},
		{name: "lease_keepalive_missing", steps: []v3req{keepAlive(vdSend(`{"ID":3011}`), vdRead(1))}},
		{name: "lease_list", steps: []v3req{leaseGrant(`{"TTL":100,"ID":3012}`), leaseGrant(`{"TTL":200,"ID":3013}`), vdPost("/v3/lease/leases", `{}`), leaseRevoke(`{"ID":3012}`), vdPost("/v3/lease/leases", `{}`)}},
		// Expiry in real time (etcd cannot be sped up; expiry on a manual
		// Clock is clienttest's own tests' business): a three-second
		// lease, long enough for the put that follows its grant on a
		// loaded machine. The watch is in place before the lease is
		// granted and the key written, all within one step, so the lease
		// cannot run out on one server while the other is being asked;
		// the last read waits for the expiry's delete event itself.
		{name: "lease_expire", steps: []v3req{
			watch(vdSend(`{"create_request":{"key":{k:a},"prev_kv":true}}`), vdRead(1),
				vdAlso(leaseGrant(`{"TTL":3,"ID":3014}`)),
				vdAlso(kvPut(`{"key":{k:a},"value":{v:1},"lease":3014}`)), vdRead(2)),
			kvRange(`{"key":{k:a}}`), leaseTTL(`{"ID":3014}`),
		}},

		// Watch.
		{name: "watch_live_put", steps: []v3req{watch(vdSend(`{"create_request":{"key":{k:a}}}`), vdRead(1), vdAlso(kvPut(`{"key":{k:a},"value":{v:1}}`)), vdRead(1))}},
		{name: "watch_history", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvDelete(`{"key":{k:a}}`),
			watch(vdSend(`{"create_request":{"key":{k:a},"start_revision":{r+1}}}`), vdRead(2)),
		}},
		{name: "watch_prefix_prev_kv", steps: []v3req{
			kvPut(`{"key":{k:p/a},"value":{v:1}}`),
			watch(vdSend(`{"create_request":{"key":{k:p/},"range_end":{end:p/},"prev_kv":true}}`), vdRead(1),
				vdAlso(kvPut(`{"key":{k:p/a},"value":{v:2}}`)), vdRead(1),
				vdAlso(kvPut(`{"key":{k:q},"value":{v:2}}`)),
				vdAlso(kvDelete(`{"key":{k:p/a}}`)), vdRead(1)),
		}},
		{name: "watch_filters", steps: []v3req{
			watch(vdSend(`{"create_request":{"key":{k:a},"filters":["NOPUT"]}}`), vdRead(1),
				vdSend(`{"create_request":{"key":{k:b},"filters":["NODELETE"]}}`), vdRead(1),
				vdAlso(kvPut(`{"key":{k:a},"value":{v:1}}`)), vdAlso(kvDelete(`{"key":{k:a}}`)), vdRead(1),
				vdAlso(kvPut(`{"key":{k:b},"value":{v:1}}`)), vdRead(1)),
		}},
		{name: "watch_txn_events", steps: []v3req{
			kvPut(`{"key":{k:c},"value":{v:1}}`),
			watch(vdSend(`{"create_request":{"key":{k:},"range_end":{end:}}}`), vdRead(1),
				vdAlso(kvTxn(`{"success":[{"request_put":{"key":{k:a},"value":{v:1}}},{"request_put":{"key":{k:b},"value":{v:2}}},{"request_delete_range":{"key":{k:c}}}]}`)), vdRead(1)),
		}},
		{name: "watch_cancel", steps: []v3req{watch(vdSend(`{"create_request":{"key":{k:a}}}`), vdRead(1), vdSend(`{"cancel_request":{"watch_id":0}}`), vdRead(1), vdSend(`{"create_request":{"key":{k:a}}}`), vdRead(1))}},
		{name: "watch_chosen_id", steps: []v3req{watch(vdSend(`{"create_request":{"key":{k:a},"watch_id":7}}`), vdRead(1), vdAlso(kvPut(`{"key":{k:a},"value":{v:1}}`)), vdRead(1), vdSend(`{"cancel_request":{"watch_id":7}}`), vdRead(1))}},
		{name: "watch_two_watchers", steps: []v3req{
			watch(vdSend(`{"create_request":{"key":{k:a}}}`), vdRead(1), vdSend(`{"create_request":{"key":{k:b}}}`), vdRead(1),
				vdAlso(kvPut(`{"key":{k:b},"value":{v:1}}`)), vdRead(1), vdAlso(kvPut(`{"key":{k:a},"value":{v:1}}`)), vdRead(1)),
		}},
		{name: "watch_duplicate_id", steps: []v3req{watch(vdSend(`{"create_request":{"key":{k:a},"watch_id":7}}`), vdRead(1), vdSend(`{"create_request":{"key":{k:b},"watch_id":7}}`), vdRead(1))}},
		{name: "watch_lease_revoke", steps: []v3req{
			leaseGrant(`{"TTL":100,"ID":3016}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":3016}`), kvPut(`{"key":{k:b},"value":{v:2},"lease":3016}`),
			watch(vdSend(`{"create_request":{"key":{k:},"range_end":{end:},"prev_kv":true}}`), vdRead(1), vdAlso(leaseRevoke(`{"ID":3016}`)), vdRead(1)),
		}},
		{name: "watch_history_prev_kv", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvDelete(`{"key":{k:a}}`), kvPut(`{"key":{k:a},"value":{v:3}}`),
			watch(vdSend(`{"create_request":{"key":{k:a},"start_revision":{r+2},"prev_kv":true}}`), vdRead(2)),
		}},
		{name: "lease_keepalive_then_ttl", steps: []v3req{leaseGrant(`{"TTL":100,"ID":3017}`), keepAlive(vdSend(`{"ID":3017}`), vdRead(1)), leaseTTL(`{"ID":3017}`), kvPut(`{"key":{k:a},"value":{v:1},"lease":3017,"prev_kv":true}`), kvPut(`{"key":{k:a},"value":{v:2},"prev_kv":true}`)}},
		{name: "watch_compacted", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:a},"value":{v:2}}`), kvCompact(`{"revision":{r+2},"physical":true}`),
			watch(vdSend(`{"create_request":{"key":{k:a},"start_revision":{r+1}}}`), vdRead(2)),
			watch(vdSend(`{"create_request":{"key":{k:a},"start_revision":{r+2}}}`), vdRead(2)),
		}},
		{name: "watch_progress", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`),
			watch(vdSend(`{"create_request":{"key":{k:a}}}`), vdRead(1), vdSend(`{"progress_request":{}}`), vdRead(1)),
		}},
		{name: "watch_future_start", steps: []v3req{
			watch(vdSend(`{"create_request":{"key":{k:a},"start_revision":{r+3}}}`), vdRead(1),
				vdAlso(kvPut(`{"key":{k:a},"value":{v:1}}`)), vdAlso(kvPut(`{"key":{k:a},"value":{v:2}}`)), vdAlso(kvPut(`{"key":{k:a},"value":{v:3}}`)), vdRead(1)),
		}},
		{name: "watch_empty_create", steps: []v3req{watch(vdSend(`{"create_request":{}}`), vdRead(1), vdSend(`{"create_request":{"key":{k:a}}}`), vdRead(1))}},

		// Cluster and maintenance.
		{name: "member_list", steps: []v3req{vdPost("/v3/cluster/member/list", `{}`), vdPost("/v3/cluster/member/list", `{"linearizable":true}`)}},
		{name: "status", steps: []v3req{vdPost("/v3/maintenance/status", `{}`)}},
		{name: "member_add_refused", steps: []v3req{
			vdPost("/v3/cluster/member/add", `{"peerURLs":["{peer}"]}`),
			vdPost("/v3/cluster/member/add", `{"peerURLs":["not a url"]}`),
			vdPost("/v3/cluster/member/add", `{}`),
			// (An add that succeeds would leave the one-member etcd
			// without a quorum for the scenarios after it.)
		}},
		{name: "member_update", steps: []v3req{
			vdPost("/v3/cluster/member/update", `{"ID":"{member}","peerURLs":["{peer}"]}`),
			vdPost("/v3/cluster/member/update", `{"ID":"1234","peerURLs":["http://127.0.0.1:1"]}`),
			vdPost("/v3/cluster/member/list", `{}`),
		}},
		{name: "member_remove_refused", steps: []v3req{
			vdPost("/v3/cluster/member/remove", `{"ID":"1234"}`),
			vdPost("/v3/cluster/member/remove", `{}`),
		}},

		// Malformed requests.
		{name: "bad_json", steps: []v3req{kvPut(`{bad`), kvRange(`{"key":`), kvTxn(`[]`), leaseGrant(`{"TTL":"x"}`)}},
		{name: "json_odd_documents", steps: []v3req{kvPut(`null`), kvPut(`{"key":{k:a},"key":{k:b},"value":{v:1}}`), kvPut(`{"key":{k:c},"value":{v:1}} trailing`), kvPut(`{"key":{k:d},"value":{v:1}}{"key":{k:e}}`), kvRange(`{"key":{k:},"range_end":{end:}}`)}},
		{name: "json_invalid_utf8", steps: []v3req{
			kvPut(`{"key":"` + "\xff" + `"}`), kvPut(`{"nosuch":"a` + "\xff" + `b","key":{k:a}}`), kvPut(`{"k` + "\xfe" + `":1,"key":{k:a}}`),
			kvPut(`{"key":{k:a},"value":"` + "\xc3\xa9\xff" + `"}`), kvRange(`{"key":{k:a}}`),
		}},
		{name: "json_camel_case_fields", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:b},"value":{v:2},"prevKv":true}`), kvPut(`{"key":{k:a},"value":{v:3},"prevKv":true}`),
			kvRange(`{"key":{k:},"rangeEnd":{end:},"sortOrder":"DESCEND","sortTarget":"MOD","keysOnly":true}`),
			kvDelete(`{"key":{k:a},"prevKv":true}`),
		}},
		{name: "json_number_forms", steps: []v3req{
			kvPut(`{"key":{k:a},"value":{v:1}}`), kvPut(`{"key":{k:b},"value":{v:2}}`),
			kvRange(`{"key":{k:},"range_end":{end:},"limit":"1","sort_order":2}`),
			kvRange(`{"key":{k:},"range_end":{end:},"limit":1.0}`),
			kvRange(`{"key":{k:},"range_end":{end:},"limit":1.5}`),
			kvRange(`{"key":{k:},"range_end":{end:},"count_only":"true"}`),
		}},
		{name: "wrong_field_types", steps: []v3req{kvPut(`{"key":123}`), kvRange(`{"key":{k:a},"limit":"many"}`), kvRange(`{"key":"not base64!"}`)}},
		{name: "unknown_field", steps: []v3req{kvPut(`{"key":{k:a},"value":{v:1},"nosuch":true}`), kvRange(`{"key":{k:a},"nosuch":{"x":[1]}}`)}},
		{name: "unknown_enum", steps: []v3req{kvRange(`{"key":{k:a},"sort_order":"SIDEWAYS"}`), kvTxn(`{"compare":[{"key":{k:a},"target":"COLOUR","result":"EQUAL"}]}`)}},
		{name: "unknown_path", steps: []v3req{vdPost("/v3/kv/nothing", `{}`), vdPost("/v3/nope", `{}`), vdPost("/v4/kv/range", `{}`)}},
		{name: "wrong_method", steps: []v3req{{method: "GET", path: "/v3/kv/range"}, {method: "PUT", path: "/v3/kv/put", body: `{"key":{k:a}}`}}},
	}
}
