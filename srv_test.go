package client

import (
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
)

// fakeSRV answers lookups of "_service._proto.name" from a table; a
// missing entry is a not-found DNS error.
type fakeSRV struct {
	records map[string][]*net.SRV
	errs    map[string]error
	asked   []string
}

func (f *fakeSRV) lookup(service, proto, name string) (string, []*net.SRV, error) {
	q := "_" + service + "._" + proto + "." + name
	f.asked = append(f.asked, q)
	if err, ok := f.errs[q]; ok {
		return "", nil, err
	}
	recs, ok := f.records[q]
	if !ok {
		return "", nil, &net.DNSError{Err: "no such host", Name: q, IsNotFound: true}
	}
	return q + ".", recs, nil
}

// useFakeSRV swaps lookupSRV for the test's duration. Tests using it must
// not run in parallel.
func useFakeSRV(t *testing.T, f *fakeSRV) {
	t.Helper()
	old := lookupSRV
	lookupSRV = f.lookup
	t.Cleanup(func() { lookupSRV = old })
}

func TestSRVDiscover_Discover(t *testing.T) {
	const (
		ssl   = "_etcd-client-ssl._tcp.example.com"
		plain = "_etcd-client._tcp.example.com"
	)
	cases := []struct {
		name    string
		records map[string][]*net.SRV
		want    []string
	}{
		{
			name: "both",
			records: map[string][]*net.SRV{
				ssl:   {{Target: "a.example.com.", Port: 2379}, {Target: "b.example.com.", Port: 12379}},
				plain: {{Target: "c.example.com.", Port: 2380}},
			},
			want: []string{"https://a.example.com:2379", "https://b.example.com:12379", "http://c.example.com:2380"},
		},
		{
			name:    "ssl_only",
			records: map[string][]*net.SRV{ssl: {{Target: "a.example.com.", Port: 443}}},
			want:    []string{"https://a.example.com:443"},
		},
		{
			name:    "plain_only",
			records: map[string][]*net.SRV{plain: {{Target: "10.0.0.1", Port: 2379}, {Target: "n2.example.com", Port: 65535}}},
			want:    []string{"http://10.0.0.1:2379", "http://n2.example.com:65535"},
		},
		{
			name:    "ipv6_target",
			records: map[string][]*net.SRV{plain: {{Target: "::1", Port: 2379}}},
			want:    []string{"http://[::1]:2379"},
		},
		{
			// RFC 2782: a target of "." says the service is not offered.
			name:    "dot_target_skipped",
			records: map[string][]*net.SRV{ssl: {{Target: ".", Port: 0}}, plain: {{Target: "c.example.com.", Port: 2379}}},
			want:    []string{"http://c.example.com:2379"},
		},
		{
			name:    "found_but_empty",
			records: map[string][]*net.SRV{ssl: {}},
			want:    []string{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSRV{records: tc.records}
			useFakeSRV(t, f)
			got, err := NewSRVDiscover().Discover("example.com")
			if err != nil {
				t.Fatalf("Discover(%q) error = %v, want nil", "example.com", err)
			}
			if got == nil || !slices.Equal(got, tc.want) {
				t.Errorf("Discover(%q) = %#v, want %#v", "example.com", got, tc.want)
			}
			if want := []string{ssl, plain}; !slices.Equal(f.asked, want) {
				t.Errorf("Discover(%q) looked up %q, want %q", "example.com", f.asked, want)
			}
		})
	}
}

func TestSRVDiscover_Discover_bothFail(t *testing.T) {
	errSSL := errors.New("ssl lookup broke")
	errPlain := &net.DNSError{Err: "server misbehaving", Name: "_etcd-client._tcp.example.org", IsTemporary: true}
	f := &fakeSRV{errs: map[string]error{
		"_etcd-client-ssl._tcp.example.org": errSSL,
		"_etcd-client._tcp.example.org":     errPlain,
	}}
	useFakeSRV(t, f)
	got, err := NewSRVDiscover().Discover("example.org")
	if err == nil || got != nil {
		t.Fatalf("Discover(%q) = %q, %v, want nil and an error", "example.org", got, err)
	}
	if !errors.Is(err, errSSL) {
		t.Errorf("errors.Is(%v, errSSL) = false, want true", err)
	}
	var de *net.DNSError
	if !errors.As(err, &de) || de != errPlain {
		t.Errorf("errors.As(%v, *net.DNSError) = %v, want the plain lookup's error", err, de)
	}
	for _, want := range []string{"_etcd-client-ssl._tcp.example.org", "_etcd-client._tcp.example.org", "ssl lookup broke", "server misbehaving"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Discover(%q) error = %q, want it to name %q", "example.org", err, want)
		}
	}
}

func TestSRVDiscover_Discover_oneFails(t *testing.T) {
	f := &fakeSRV{
		records: map[string][]*net.SRV{"_etcd-client._tcp.example.net": {{Target: "n1.example.net.", Port: 2379}}},
		errs:    map[string]error{"_etcd-client-ssl._tcp.example.net": errors.New("timeout")},
	}
	useFakeSRV(t, f)
	got, err := NewSRVDiscover().Discover("example.net")
	if err != nil || !slices.Equal(got, []string{"http://n1.example.net:2379"}) {
		t.Fatalf("Discover(%q) = %q, %v, want [http://n1.example.net:2379], nil", "example.net", got, err)
	}
}

func TestSRVDiscover_Discover_none(t *testing.T) {
	useFakeSRV(t, &fakeSRV{})
	got, err := NewSRVDiscover().Discover("example.com")
	if err == nil || got != nil {
		t.Fatalf("Discover(%q) = %q, %v, want nil and an error", "example.com", got, err)
	}
	want := "client: SRV discovery of example.com failed: " +
		"_etcd-client-ssl._tcp.example.com: lookup _etcd-client-ssl._tcp.example.com: no such host; " +
		"_etcd-client._tcp.example.com: lookup _etcd-client._tcp.example.com: no such host"
	if err.Error() != want {
		t.Errorf("Discover(%q) error =\n%q\nwant\n%q", "example.com", err, want)
	}
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("errors.As(%v, *net.DNSError) = %v, want a not-found DNS error", err, de)
	}
}
