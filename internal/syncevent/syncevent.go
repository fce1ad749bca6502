// Package syncevent describes what one Sync of a client decided about its
// endpoint list, and lets code inside this module watch those decisions.
//
// The client records exactly one Decision per Sync call (AutoSync's rounds
// included), after the endpoint list has taken its final shape for that
// call. It is the one place where a later logger or user hook attaches:
// whatever watches a client gets every Decision, in the order the Syncs
// finished.
package syncevent

import "strconv"

// Outcome says what a Sync did with the client URLs the members advertise.
type Outcome uint8

const (
	// Failed: the member list could not be read or advertised no client
	// URL, or the selection mode is unknown. The endpoints were not
	// touched; Decision.Err is what Sync returned.
	Failed Outcome = iota

	// Unchanged: the advertised URLs are the endpoint list already, so
	// nothing was probed or replaced.
	Unchanged

	// Adopted: at least one advertised URL answered the probe, and the
	// advertised URLs replaced the endpoint list.
	Adopted

	// KeptUnreachable: no advertised URL answered the probe (the client
	// reaches the cluster through NAT, a tunnel or a load balancer), so
	// the client kept the endpoints it has. Sync returned nil.
	KeptUnreachable

	// Interrupted: the caller's context ended while the advertised URLs
	// were probed. The endpoints were kept; Sync returned ctx.Err().
	Interrupted

	// Superseded: SetEndpoints or another Sync replaced the endpoint list
	// while this Sync probed, and the newer list was left in place.
	Superseded
)

func (o Outcome) String() string {
	switch o {
	case Failed:
		return "failed"
	case Unchanged:
		return "unchanged"
	case Adopted:
		return "adopted"
	case KeptUnreachable:
		return "kept-unreachable"
	case Interrupted:
		return "interrupted"
	case Superseded:
		return "superseded"
	default:
		return "outcome(" + strconv.Itoa(int(o)) + ")"
	}
}

// Decision is what one Sync decided. The slices belong to the receiver.
type Decision struct {
	Outcome Outcome

	// Advertised are the client URLs the members listed, in their order
	// (members without one contribute nothing).
	Advertised []string

	// Reachable are the advertised URLs that answered the probe; nil when
	// no probe ran (Unchanged, Failed).
	Reachable []string

	// Leader is the leader's client URL in EndpointSelectionPrioritizeLeader
	// mode, once known; "" otherwise.
	Leader string

	// LeaderPinned reports that calls now start at Leader.
	LeaderPinned bool

	// LeaderUnreachable reports that Leader did not answer the probe and
	// so neither joined the endpoint list nor took the pin.
	LeaderUnreachable bool

	// Endpoints is the endpoint list when Sync returned.
	Endpoints []string

	// Err is what Sync returned.
	Err error
}

// attach is set by package client (Register) to attach an observer to one
// of its clients; this package cannot name the client's type.
var attach func(client any, fn func(Decision)) bool

// Register is called once, by package client's initialisation, with the
// function that attaches an observer to one of its clients.
func Register(f func(client any, fn func(Decision)) bool) { attach = f }

// Observe makes fn receive the Decision of every Sync of c that starts
// after it returns, replacing any observer set before; a nil fn removes
// it. c must be a Client made by client.New; Observe reports false for any
// other value. fn is called on the goroutine that ran Sync and must not
// block for long, since Sync (and AutoSync's next round) waits for it.
func Observe(c any, fn func(Decision)) bool {
	if attach == nil {
		return false
	}
	return attach(c, fn)
}
