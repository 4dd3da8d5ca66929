package filter

import (
	"errors"
	"strings"
	"testing"
)

// TestParseValid checks the canonical String of valid expressions, which
// spells out how each was understood: the qualifier repeated for a bare
// value, and "and"/"or" grouped left to right at equal precedence. The
// readings of the tricky ones were checked against "tcpdump -d" (the same
// program for the expression and its canonical form).
func TestParseValid(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", ""},
		{"   ", ""},
		{"tcp", "tcp"},
		{"  tcp  ", "tcp"},
		{"udp", "udp"},
		{"ip", "ip"},
		{"ip6", "ip6"},
		{"ip6 and tcp", "ip6 and tcp"},
		{"ip and not tcp", "ip and not tcp"},
		{"port 443", "port 443"},
		{"tcp port 443", "tcp port 443"},
		{"udp port 53", "udp port 53"},
		{"tcp src port 8443", "tcp src port 8443"},
		{"udp portrange 1-100", "udp portrange 1-100"},
		{"udp src portrange 1-100", "udp src portrange 1-100"},
		{"portrange 4000-5000", "portrange 4000-5000"},
		{"portrange 5000-4000", "portrange 4000-5000"}, // swapped, as tcpdump
		{"portrange 1", "portrange 1-1"},
		{"portrange 010-020", "portrange 10-20"}, // decimal in a range, as tcpdump
		{"port 0443", "port 291"},                // octal, as tcpdump
		{"port 0x1bb", "port 443"},
		{"port 0", "port 0"},
		{"port 65535", "port 65535"},
		{"not port 22", "not port 22"},
		{"host 192.168.6.74", "host 192.168.6.74"},
		{"host 1.2.3.04", "host 1.2.3.4"},
		{"ip host 1.2.3.4", "ip host 1.2.3.4"},
		{"ip6 host ::1", "ip6 host ::1"},
		{"host 2001:DB8::1", "host 2001:db8::1"},
		{"host ::ffff:1.2.3.4", "host ::ffff:1.2.3.4"},
		{"src 10.0.0.1", "src host 10.0.0.1"},
		{"dst host 10.0.0.1", "dst host 10.0.0.1"},
		{"src or dst host 10.0.0.1", "host 10.0.0.1"},
		{"dst or src host 10.0.0.1", "host 10.0.0.1"},
		{"src and dst host 10.0.0.1", "src and dst host 10.0.0.1"},
		{"dst and src port 443", "src and dst port 443"},
		{"tcp src or dst port 443", "tcp port 443"},
		{"src host 10.0.0.1 and dst port 443", "src host 10.0.0.1 and dst port 443"},
		{"net 192.168.0.0/16", "net 192.168.0.0/16"},
		{"net 10.0.0.0 / 8", "net 10.0.0.0/8"},
		{"net 10", "net 10.0.0.0/8"},
		{"dst net 10.1", "dst net 10.1.0.0/16"},
		{"net 10.1.2", "net 10.1.2.0/24"},
		{"net 10.1.2.0", "net 10.1.2.0/32"},
		{"net 10.1/16", "net 10.1.0.0/16"},
		{"net 10.0.0.0 mask 255.0.0.0", "net 10.0.0.0/8"},
		{"net 10.0.0.0 mask 255.0.255.0", "net 10.0.0.0 mask 255.0.255.0"},
		{"ip net 0.0.0.0/0", "ip net 0.0.0.0/0"},
		{"net 2001:db8::/32", "net 2001:db8::/32"},
		{"ip6 net ::/0", "ip6 net ::/0"},
		{"net ::1", "net ::1/128"},

		// Implicit qualifiers: a bare value repeats the last ones.
		{"port 443 or 8443", "port 443 or port 8443"},
		{"host 1.2.3.4 or 5.6.7.8", "host 1.2.3.4 or host 5.6.7.8"},
		{"tcp port 443 or 8443", "tcp port 443 or tcp port 8443"},
		{"tcp dst port 443 or 22 or 8443", "tcp dst port 443 or tcp dst port 22 or tcp dst port 8443"},
		{"ip host 1.2.3.4 or 5.6.7.8", "ip host 1.2.3.4 or ip host 5.6.7.8"},
		{"not host 1.2.3.4 and 5.6.7.8", "not host 1.2.3.4 and host 5.6.7.8"},
		{"port 443 or not 8443", "port 443 or not port 8443"},
		{"port 80 and (443)", "port 80 and port 443"},
		{"port not 443", "not port 443"},
		{"tcp dst port not (443 or 80)", "not (tcp dst port 443 or tcp dst port 80)"},
		{"src (10.0.0.1 or 10.0.0.2)", "src host 10.0.0.1 or src host 10.0.0.2"},
		{"port ((443))", "port 443"},
		{"port (80)", "port 80"},
		{"host (1.2.3.4)", "host 1.2.3.4"},
		{"port (443 or 8443)", "port 443 or port 8443"},
		{"port (1 or 2 and 3)", "(port 1 or port 2) and port 3"},
		{"port (1 or not 2)", "port 1 or not port 2"},
		{"port 1 or (2 and 3)", "port 1 or (port 2 and port 3)"},
		{"host 1.2.3.4 and (5.6.7.8 or not 9.9.9.9)", "host 1.2.3.4 and (host 5.6.7.8 or not host 9.9.9.9)"},
		{"tcp and port 443 or 8443", "(tcp and port 443) or port 8443"},
		// A parenthesized expression passes on the qualifiers from
		// before its "(", not those inside.
		{"port 80 or (host 1.2.3.4) or 8443", "port 80 or host 1.2.3.4 or port 8443"},
		{"port 1 and not (tcp) or 2", "(port 1 and not tcp) or port 2"},
		{"port 1 or (port 2) or 3", "port 1 or port 2 or port 3"},
		{"src port 1 or dst port 2 or 3", "src port 1 or dst port 2 or dst port 3"},

		// Precedence: not > and = or, left-associative.
		{"port 1 or 2 and 3", "(port 1 or port 2) and port 3"},
		{"tcp or udp and ip6", "(tcp or udp) and ip6"},
		{"tcp and udp or ip6", "(tcp and udp) or ip6"},
		{"!tcp||udp&&ip", "(not tcp or udp) and ip"},
		{"not not tcp", "not not tcp"},
		{"not (port 1 or port 2)", "not (port 1 or port 2)"},
		{"not port 1 and port 2", "not port 1 and port 2"},
		{"tcp and (udp or ip6) and not ip", "tcp and (udp or ip6) and not ip"},
		{"(port 443 or port 4433) and not host 10.0.0.1", "(port 443 or port 4433) and not host 10.0.0.1"},
		{"(tcp)", "tcp"},
		{"((tcp))", "tcp"},
		{"(tcp) and port 443", "tcp and port 443"},
		{"tcp or (udp or ip)", "tcp or (udp or ip)"},
	}
	for _, tt := range tests {
		f, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		if got := f.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.expr, got, tt.want)
		}
		// The canonical form reads back as the same filter.
		g, err := Parse(f.String())
		if err != nil {
			t.Errorf("Parse(%q) (canonical of %q): %v", f.String(), tt.expr, err)
		} else if g.String() != f.String() {
			t.Errorf("canonical form %q of %q reads back as %q", f.String(), tt.expr, g.String())
		}
	}
}

// TestParseErrors checks the exact messages and positions of invalid
// expressions.
func TestParseErrors(t *testing.T) {
	hint := supportedHint
	tests := []struct {
		expr string
		pos  int
		msg  string
	}{
		// The brief's examples.
		{"port 99999", 5, "port number 99999 out of range (0-65535)"},
		{"tcp and", 7, `expression ends after "and"`},
		{"host", 0, `"host" needs an address`},
		{"icmp6 foo", 0, `unsupported primitive "icmp6"` + hint},

		{"port", 0, `"port" needs a port number`},
		{"net", 0, `"net" needs a network`},
		{"portrange", 0, `"portrange" needs a port range such as 4000-5000`},
		{"port 443 and src", 13, `"src" needs an address, or a "host", "net", "port" or "portrange" qualifier and a value`},
		{"src or port 1", 0, `"src" needs an address, or a "host", "net", "port" or "portrange" qualifier and a value`},
		{"port 65536", 5, "port number 65536 out of range (0-65535)"},
		{"port 4294967296", 5, "port number 4294967296 out of range (0-65535)"},
		{"portrange 70000-1", 10, "port number 70000 out of range (0-65535)"},
		{"port 089", 5, `port "089": a number with a leading 0 is octal, and this one has a non-octal digit`},
		{"port https", 5, `port "https": service names are not supported, write the port number`},
		{"port 1-2", 5, `"1-2" is not a port number (for a range, write "portrange 1-2")`},
		{"port 1.2.3.4", 5, `"1.2.3.4" is not a port number`},
		{"portrange 1-", 10, `"1-" is not a port range (write it as 4000-5000)`},
		{"portrange a-b", 10, `"a-b" is not a port range (write it as 4000-5000)`},
		{"port 1/8", 6, "a mask applies to networks only, not to a port"},

		{"not", 3, `expression ends after "not"`},
		{"tcp and not", 11, `expression ends after "not"`},
		{"host 1.2.3.4 or", 15, `expression ends after "or"`},
		{"(((((", 5, `expression ends after "("`},
		{"(port 443", 9, `missing ")" to close the "(" at offset 0`},
		{"port 443)", 8, `unmatched ")"`},
		{"tcp )", 4, `unmatched ")"`},
		{"()", 1, "empty parentheses"},
		{"tcp and ()", 9, "empty parentheses"},
		{"tcp udp", 4, `"udp" follows "tcp" without "and" or "or"`},
		{"udp 80", 4, `"80" follows "udp" without "and" or "or"`},
		{"port 1 2", 7, `"2" follows "1" without "and" or "or"`},
		{"tcp or or udp", 7, `expected an operand after "or", found "or"`},
		{"and tcp", 0, `expression starts with "and"`},
		{"tcp @", 4, `unexpected character "@"`},

		{"tcp or 443", 7, `"443" needs a qualifier such as "host" or "port" ("tcp" has none to repeat)`},
		{"port 443 and tcp or 80", 20, `"80" needs a qualifier such as "host" or "port" ("tcp" has none to repeat)`},
		{"(host 1.2.3.4) or 5.6.7.8", 18, `"5.6.7.8" needs a qualifier such as "host" or "port"`},
		{"1.2.3.4", 0, `"1.2.3.4" needs a qualifier such as "host" or "port"`},
		{"port 1 and (2 or tcp)", 17, `expected a value after "or", found "tcp" (a list of values after a qualifier, as in "port (443 or 8443)", cannot hold other primitives)`},

		{"TCP", 0, `unknown word "TCP" (pcap-filter keywords are lower case: "tcp")`},
		{"Host 1.2.3.4", 0, `unknown word "Host" (pcap-filter keywords are lower case: "host")`},
		{"foo", 0, `unknown primitive "foo"` + hint},
		{"port 443 or icmp", 12, `unsupported primitive "icmp"` + hint},
		{"ether host 1:2:3:4:5:6", 0, `unsupported primitive "ether"` + hint},
		{"vlan and tcp", 0, `unsupported primitive "vlan"` + hint},
		{"less 100", 0, `unsupported primitive "less"` + hint},
		{"ip proto 6", 3, `unsupported primitive "ip proto"` + hint},
		{"tcp[13] & 2 != 0", 3, `unsupported primitive "tcp[" (packet data access)` + hint},
		{"host fe80::1%eth0", 12, `unsupported operator "%"` + hint},

		{"tcp src 1.2.3.4", 8, `"tcp" cannot qualify a host, only a port or portrange`},
		{"tcp host 1.2.3.4", 9, `"tcp" cannot qualify a host, only a port or portrange`},
		{"udp net 10.0.0.0/8", 8, `"udp" cannot qualify a network, only a port or portrange`},
		{"ip port 80", 8, `"ip" cannot qualify "port" (write "ip and port 80")`},
		{"ip6 portrange 1-2", 14, `"ip6" cannot qualify "portrange" (write "ip6 and portrange 1-2")`},
		{"ip host ::1", 8, `"ip" cannot qualify the IPv6 address "::1" (use "ip6")`},
		{"ip6 host 1.2.3.4", 9, `"ip6" cannot qualify the IPv4 address "1.2.3.4" (use "ip")`},
		{"ip6 net 10.0.0.0/8", 8, `"ip6" cannot qualify the IPv4 address "10.0.0.0" (use "ip")`},

		{"host foo.example", 5, `"foo.example" is not an IP address; host and network names are not resolved (tlsscan does no name lookups)`},
		{"host 1.2.3.256", 5, `invalid IPv4 address "1.2.3.256"`},
		{"host 1.2.3.4.5", 5, `invalid IPv4 address "1.2.3.4.5"`},
		{"host 1::2::3", 5, `"1::2::3" is not a valid IPv6 address`},
		{"host 10.1", 5, `"10.1" is not a full IPv4 address (for a network, write "net 10.1")`},
		{"dst 2", 4, `"2" is not an IP address`},
		{"host 10.0.0.0/8", 5, `a mask applies to networks only (write "net 10.0.0.0/8")`},
		{"src 10.0.0.0/8", 4, `a mask applies to networks only (write "src net 10.0.0.0/8")`},
		{"host 1.2.3.4 mask 255.0.0.0", 5, `a mask applies to networks only (write "net 1.2.3.4 mask 255.0.0.0")`},
		{"net 10.0.0.0/33", 13, "IPv4 prefix length 33 must be at most 32"},
		{"net 2001:db8::/129", 15, "IPv6 prefix length 129 must be at most 128"},
		{"net 10.1.2.3/8", 4, `non-network bits set in "10.1.2.3/8"`},
		{"net 2001:db8::1/32", 4, `non-network bits set in "2001:db8::1/32"`},
		{"net 10.0.0.0 mask 255.0.0.0 or net 10.0.0.1 mask 255.0.0.0", 35, `non-network bits set in "10.0.0.1 mask 255.0.0.0"`},
		{"net ::1 mask ffff::", 13, `"mask" applies to IPv4 networks only: write ::1/len`},
		{"net 10/8", 4, `network "10": write it in dotted form, such as 10.0.0.0/8`},
		{"net 0", 4, `network "0": write it in dotted form, such as 10.0.0.0/8`},
		{"net 256", 4, `network "256": write it in dotted form, such as 10.0.0.0/8`},
		{"net 10.0.0.0 mask 255.0", 18, `"255.0" is not a dotted IPv4 netmask`},
		{"net 10.0.0.0 mask", 17, `"mask" needs a dotted IPv4 netmask`},
		{"net 10.0.0.0/", 13, `"10.0.0.0/" needs a prefix length after "/"`},
		{"mask", 0, `"mask" must follow a network address, as in "net 10.0.0.0 mask 255.0.0.0"`},
		{strings.Repeat("(", 300) + "tcp" + strings.Repeat(")", 300), 256, "expression nested more than 256 levels deep"},
		{strings.Repeat("not ", 300) + "tcp", 1024, "expression nested more than 256 levels deep"},
	}
	for _, tt := range tests {
		f, err := Parse(tt.expr)
		if err == nil && Libpcap {
			// libpcap accepts more: names, short addresses, the rest
			// of the language.
			if f.String() != tt.expr {
				t.Errorf("Parse(%q).String() = %q: libpcap-only expressions keep their text", tt.expr, f)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error %q", tt.expr, f, tt.msg)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T, want *SyntaxError", tt.expr, err)
			continue
		}
		if Libpcap {
			// libpcap decides what is valid there: just check it failed.
			continue
		}
		if se.Msg != tt.msg || se.Pos != tt.pos || se.Expr != tt.expr {
			t.Errorf("Parse(%q):\n got pos %d %q\nwant pos %d %q", tt.expr, se.Pos, se.Msg, tt.pos, tt.msg)
		}
	}
}

func TestSyntaxErrorText(t *testing.T) {
	if Libpcap {
		t.Skip("libpcap's messages differ for unsupported primitives")
	}
	for expr, want := range map[string]string{
		"port 99999": `filter "port 99999": port number 99999 out of range (0-65535)`,
		"tcp and":    `filter "tcp and": expression ends after "and"`,
		"host":       `filter "host": "host" needs an address`,
		"icmp6 foo":  `filter "icmp6 foo": unsupported primitive "icmp6" (the static build supports: tcp, udp, ip, ip6, host, net, port, portrange, src, dst, and, or, not, parentheses; build with -tags libpcap for the full pcap-filter language)`,
	} {
		_, err := Parse(expr)
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error:\n got %v\nwant %s", expr, err, want)
		}
	}
}

// FuzzParse: Parse never panics; whatever it accepts has a canonical form
// that reads back the same, and compiles to programs the VM accepts.
func FuzzParse(f *testing.F) {
	for _, e := range compareExprs {
		f.Add(e)
	}
	for _, e := range []string{"port (1 or not 2)", "net 10.0.0.0 mask 255.0.255.0", "((tcp))", "!tcp||udp&&ip", "host ::ffff:1.2.3.4"} {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): %T %v", expr, err, err)
			}
			if se.Pos < -1 || se.Pos > len(expr) {
				t.Fatalf("Parse(%q): position %d out of range", expr, se.Pos)
			}
			return
		}
		if flt.root == nil {
			return // libpcap build, outside the static subset
		}
		canon := flt.String()
		g, err := Parse(canon)
		if err != nil || g.String() != canon {
			t.Fatalf("Parse(%q) = %q, which reads back as %v, %v", expr, canon, g, err)
		}
		for _, l := range []Layout{LayoutEthernet, LayoutCooked} {
			raw, err := flt.compileStatic(l, 65535)
			if err != nil {
				if strings.Contains(err.Error(), "kernel's limit") {
					continue
				}
				t.Fatalf("BPF(%q): %v", expr, err)
			}
			newVM(t, raw) // validates
		}
		var p Packet
		flt.Match(&p)
	})
}
