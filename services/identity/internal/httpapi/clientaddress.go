package httpapi

import (
	"fmt"
	"net"
	"net/http"

	"github.com/realclientip/realclientip-go"
)

// ClientAddress tells the address a request came from: the peer's, or,
// when the peer is one of the trusted proxies (an ingress, a load
// balancer), the rightmost address in X-Forwarded-For that is not a
// trusted proxy's. The header is read only then: anyone else can send it.
// The zero ClientAddress trusts no proxy.
type ClientAddress struct {
	trusted []net.IPNet
	header  realclientip.Strategy
}

// NewClientAddress trusts the proxies at the addresses or ranges (CIDR)
// given (IDENTITY_TRUSTED_PROXIES).
func NewClientAddress(trustedProxies []string) (ClientAddress, error) {
	if len(trustedProxies) == 0 {
		return ClientAddress{}, nil
	}
	trusted, err := realclientip.AddressesAndRangesToIPNets(trustedProxies...)
	if err != nil {
		return ClientAddress{}, fmt.Errorf("the trusted proxies: %w", err)
	}
	header, err := realclientip.NewRightmostTrustedRangeStrategy("X-Forwarded-For", trusted)
	if err != nil {
		return ClientAddress{}, err
	}
	return ClientAddress{trusted: trusted, header: header}, nil
}

// Of returns the address r came from.
func (c ClientAddress) Of(r *http.Request) string {
	peer := realclientip.RemoteAddrStrategy{}.ClientIP(nil, r.RemoteAddr)
	if c.header == nil || !c.fromTrustedProxy(peer) {
		return peer
	}
	if client := c.header.ClientIP(r.Header, r.RemoteAddr); client != "" {
		return client
	}
	return peer
}

func (c ClientAddress) fromTrustedProxy(peer string) bool {
	ip := net.ParseIP(peer)
	for _, n := range c.trusted {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}
