package egress_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer is a real DNS server on loopback UDP whose answers the test
// sets: per name, a sequence of answers, the last one repeated.
type dnsServer struct {
	conn    net.PacketConn
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	asked   map[string]int // A questions per name
}

func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{conn: c, answers: map[string][][]netip.Addr{}, asked: map[string]int{}}
	go s.serve()
	t.Cleanup(func() { c.Close() })
	return s
}

// answer makes name resolve to each of seq in turn (one entry per A
// question), then to the last for ever.
func (s *dnsServer) answer(name string, seq ...[]netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[name+"."] = seq
}

func (s *dnsServer) questions(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked[name+"."]
}

// resolver is a net.Resolver that asks only s.
func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.conn.LocalAddr().String())
	}}
}

func (s *dnsServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply, ok := s.reply(buf[:n]); ok {
			s.conn.WriteTo(reply, from)
		}
	}
}

func (s *dnsServer) reply(q []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil, false
	}
	question, err := p.Question()
	if err != nil {
		return nil, false
	}
	name := strings.ToLower(question.Name.String())
	addrs, known := s.next(name, question.Type)
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(question)
	b.StartAnswers()
	for _, a := range addrs {
		rr := dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: 0}
		if a.Is4() && question.Type == dnsmessage.TypeA {
			b.AResource(rr, dnsmessage.AResource{A: a.As4()})
		} else if a.Is6() && question.Type == dnsmessage.TypeAAAA {
			b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
	}
	out, err := b.Finish()
	return out, err == nil
}

// next is name's current answer; A questions advance the sequence (the
// Go resolver asks A and AAAA of one lookup, A alone counts it).
func (s *dnsServer) next(name string, typ dnsmessage.Type) ([]netip.Addr, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, ok := s.answers[name]
	if !ok || len(seq) == 0 {
		return nil, ok
	}
	i := min(s.asked[name], len(seq)-1)
	if typ == dnsmessage.TypeA {
		s.asked[name]++
	}
	return seq[i], true
}
