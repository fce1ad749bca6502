// Package version holds the answer of an etcd member's /version endpoint,
// as returned by the Client's GetVersion method.
package version

// Versions is what an etcd member reports about itself and its cluster.
type Versions struct {
	// Server is the version of the etcd binary that answered, e.g. "3.4.23".
	Server string `json:"etcdserver"`
	// Cluster is the version the cluster as a whole runs at, e.g. "3.4.0".
	Cluster string `json:"etcdcluster"`
}
