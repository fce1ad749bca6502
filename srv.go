package client

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// lookupSRV resolves SRV records; tests replace it so they need no DNS.
var lookupSRV = net.LookupSRV

// Discoverer finds the client URLs of an etcd cluster.
type Discoverer interface {
	// Discover returns the client URLs published for domain.
	Discover(domain string) ([]string, error)
}

// NewSRVDiscover returns a Discoverer that reads DNS SRV records: the
// targets of _etcd-client-ssl._tcp.<domain> become https:// URLs, those
// of _etcd-client._tcp.<domain> http:// URLs, TLS ones first, each set in
// the order net.LookupSRV gives (by priority, then shuffled by weight).
// A target of "." (the record's way of saying "no service here") is
// skipped.
//
// Discover fails only when both lookups fail; its error then names both
// domains and wraps both causes (a *net.DNSError each, for real lookups),
// so errors.Is and errors.As reach either. When one lookup succeeds, the
// other's failure is ignored. The Discoverer is safe for concurrent use.
func NewSRVDiscover() Discoverer {
	return srvDiscover{}
}

type srvDiscover struct{}

func (srvDiscover) Discover(domain string) ([]string, error) {
	services := [...]struct{ service, scheme string }{
		{"etcd-client-ssl", "https"},
		{"etcd-client", "http"},
	}
	var urls []string
	var errs [len(services)]error
	ok := false
	for i, s := range services {
		_, addrs, err := lookupSRV(s.service, "tcp", domain)
		if err != nil {
			errs[i] = fmt.Errorf("_%s._tcp.%s: %w", s.service, domain, err)
			continue
		}
		ok = true
		for _, a := range addrs {
			host := strings.TrimSuffix(a.Target, ".")
			if host == "" {
				continue
			}
			urls = append(urls, s.scheme+"://"+net.JoinHostPort(host, strconv.Itoa(int(a.Port))))
		}
	}
	if !ok {
		return nil, fmt.Errorf("client: SRV discovery of %s failed: %w; %w", domain, errs[0], errs[1])
	}
	if urls == nil {
		urls = []string{}
	}
	return urls, nil
}
