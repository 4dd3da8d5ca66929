package filter

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The parser follows libpcap's grammar.y for the supported subset, down to
// the rule that gives a bare value its qualifiers. In the yacc grammar each
// "and", "or", "not" and "(" takes the qualifiers of what precedes it
// ($<blk>0), and a value after one of them ("host 1.2.3.4 or 5.6.7.8", or
// "port 443 and not 8443", or "port (443 or 8443)") is read with those:
//   - "head id" (tcp dst port 443) carries the head's qualifiers on;
//   - a bare protocol (tcp, udp, ip, ip6) carries none, so "tcp or 443" is
//     an error;
//   - a parenthesized expression carries on the qualifiers from before its
//     "(" (so "port 1 or (host h) or 2" means port 2, and "(host h) or 2" is
//     an error);
//   - "not" passes on what its operand carries.
// Precedence is libpcap's too: "not" binds tightest, "and" and "or" are
// equal and associate to the left ("a or b and c" is "(a or b) and c").

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tLParen
	tRParen
	tNot   // not, !
	tAnd   // and, &&
	tOr    // or, ||
	tSlash // the "/" of N/len
	tOp    // an operator of the arithmetic language, unsupported here
	tBad   // a character pcap-filter has no use for
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// supportedHint ends the errors for parts of the language left to libpcap.
const supportedHint = " (the static build supports: tcp, udp, ip, ip6, host, net, port, portrange, src, dst, and, or, not, parentheses; build with -tags libpcap for the full pcap-filter language)"

// maxDepth bounds nesting, so that a hostile expression cannot recurse
// without limit.
const maxDepth = 256

// Keywords of the supported subset, besides and, or, not.
var keywords = map[string]bool{
	"tcp": true, "udp": true, "ip": true, "ip6": true,
	"host": true, "net": true, "port": true, "portrange": true,
	"src": true, "dst": true, "mask": true,
}

// libpcapKeywords are the rest of libpcap's keywords (scanner.l), so that
// using one gets "unsupported primitive" rather than a confusing error
// about a value.
var libpcapKeywords = map[string]bool{
	"link": true, "ether": true, "ppp": true, "slip": true, "fddi": true, "tr": true,
	"wlan": true, "arp": true, "rarp": true, "sctp": true, "icmp": true, "igmp": true,
	"igrp": true, "pim": true, "vrrp": true, "carp": true, "radio": true, "icmp6": true,
	"ah": true, "esp": true, "atalk": true, "aarp": true, "decnet": true, "lat": true,
	"sca": true, "moprc": true, "mopdl": true, "iso": true, "esis": true, "es-is": true,
	"isis": true, "is-is": true, "l1": true, "l2": true, "iih": true, "lsp": true,
	"snp": true, "csnp": true, "psnp": true, "clnp": true, "stp": true, "ipx": true,
	"netbeui": true, "proto": true, "protochain": true, "gateway": true, "type": true,
	"subtype": true, "direction": true, "dir": true, "address1": true, "addr1": true,
	"address2": true, "addr2": true, "address3": true, "addr3": true, "address4": true,
	"addr4": true, "ra": true, "ta": true, "less": true, "greater": true, "byte": true,
	"broadcast": true, "multicast": true, "len": true, "length": true, "inbound": true,
	"outbound": true, "ifindex": true, "vlan": true, "mpls": true, "pppoed": true,
	"pppoes": true, "geneve": true, "batadv": true, "lane": true, "llc": true,
	"metac": true, "bcc": true, "oam": true, "oamf4": true, "oamf4ec": true,
	"oamf4sc": true, "sc": true, "ilmic": true, "vpi": true, "vci": true,
	"connectmsg": true, "metaconnect": true, "on": true, "ifname": true, "rnr": true,
	"rulenum": true, "reason": true, "rset": true, "ruleset": true, "srnr": true,
	"subrulenum": true, "action": true, "fisu": true, "lssu": true, "msu": true,
	"hfisu": true, "hlssu": true, "hmsu": true, "sio": true, "opc": true, "dpc": true,
	"sls": true, "hsio": true, "hopc": true, "hdpc": true, "hsls": true,
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':'
}

func isWordByte(c byte) bool {
	return isWordStart(c) || c == '.' || c == '-' || c == '_'
}

func lex(expr string) []token {
	var toks []token
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isWordStart(c):
			j := i + 1
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			w := expr[i:j]
			k := tWord
			switch w {
			case "and":
				k = tAnd
			case "or":
				k = tOr
			case "not":
				k = tNot
			}
			toks = append(toks, token{k, w, i})
			i = j
			continue
		}
		k, n := tBad, 1
		two := ""
		if i+1 < len(expr) {
			two = expr[i : i+2]
		}
		switch {
		case two == "&&":
			k, n = tAnd, 2
		case two == "||":
			k, n = tOr, 2
		case two == "!=" || two == "==" || two == "<=" || two == ">=" || two == "<<" || two == ">>":
			k, n = tOp, 2
		case c == '!':
			k = tNot
		case c == '(':
			k = tLParen
		case c == ')':
			k = tRParen
		case c == '/':
			k = tSlash
		case strings.IndexByte("+-*%&|^<>=[]", c) >= 0:
			k = tOp
		case c >= 0x80:
			// Report the whole UTF-8 sequence, not a broken byte.
			for n < 4 && i+n < len(expr) && expr[i+n]&0xc0 == 0x80 {
				n++
			}
		}
		toks = append(toks, token{k, expr[i : i+n], i})
		i += n
	}
	return append(toks, token{tEOF, "", len(expr)})
}

// addrq is the address-type qualifier.
type addrq uint8

const (
	aDefault addrq = iota // none: a host
	aHost
	aNet
	aPort
	aPortrange
)

// qual is the qualifier set a value is read with. ok=false is libpcap's
// qerr: a value there is an error. from is the bare protocol that left
// qerr behind, if one did, for the error message.
type qual struct {
	ok    bool
	proto proto
	dir   dir
	addr  addrq
	from  string
}

type parser struct {
	expr  string
	toks  []token
	i     int
	depth int
}

func parse(expr string) (root *node, err error) {
	p := &parser{expr: expr, toks: lex(expr)}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			root, err = nil, se
		}
	}()
	if p.peek().kind == tEOF {
		return &node{kind: kAll}, nil
	}
	n, _ := p.parseExpr(qual{})
	if t := p.peek(); t.kind != tEOF {
		p.trailing(t)
	}
	return n, nil
}

func (p *parser) fail(pos int, format string, args ...any) {
	panic(&SyntaxError{Expr: p.expr, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// prev is the token before the current one, for "ends after" messages.
func (p *parser) prev() token {
	if p.i == 0 {
		return token{}
	}
	return p.toks[p.i-1]
}

func (p *parser) enter(t token) {
	p.depth++
	if p.depth > maxDepth {
		p.fail(t.pos, "expression nested more than %d levels deep", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) endsEarly() {
	p.fail(len(p.expr), "expression ends after %q", p.prev().text)
}

// trailing reports a token left over after a complete expression.
func (p *parser) trailing(t token) {
	switch t.kind {
	case tRParen:
		p.fail(t.pos, `unmatched ")"`)
	case tWord, tLParen, tNot:
		p.fail(t.pos, "%q follows %q without \"and\" or \"or\"", t.text, p.prev().text)
	}
	p.unexpected(t)
}

// unexpected reports t where an operand (or nothing) was expected.
func (p *parser) unexpected(t token) {
	switch t.kind {
	case tEOF:
		p.endsEarly()
	case tOp, tSlash:
		p.fail(t.pos, "unsupported operator %q"+supportedHint, t.text)
	case tBad:
		p.fail(t.pos, "unexpected character %q", t.text)
	case tWord:
		p.word(t)
	case tRParen, tAnd, tOr:
		if pt := p.prev(); pt.text != "" {
			p.fail(t.pos, "expected an operand after %q, found %q", pt.text, t.text)
		}
		p.fail(t.pos, "expression starts with %q", t.text)
	}
	p.fail(t.pos, "unexpected %q", t.text)
}

// word reports a word that is not a supported primitive.
func (p *parser) word(t token) {
	w := t.text
	if lw := strings.ToLower(w); lw != w && (keywords[lw] || libpcapKeywords[lw] || lw == "and" || lw == "or" || lw == "not") {
		p.fail(t.pos, "unknown word %q (pcap-filter keywords are lower case: %q)", w, lw)
	}
	if libpcapKeywords[w] {
		p.fail(t.pos, "unsupported primitive %q"+supportedHint, w)
	}
	if isNumber(w) || strings.ContainsAny(w, ".:") {
		p.fail(t.pos, "%q needs a qualifier such as \"host\" or \"port\"", w)
	}
	p.fail(t.pos, "unknown primitive %q"+supportedHint, w)
}

// isValue reports whether t can only be a value (an address, number or
// name), not a keyword.
func isValue(t token) bool {
	if t.kind != tWord {
		return false
	}
	lw := strings.ToLower(t.text)
	return !keywords[lw] && !libpcapKeywords[lw]
}

// startsID decides, after "and" or "or", between an id (a value read with
// the carried-over qualifiers) and a term, as yacc does with its lookahead:
// "not" and "(" can open either, so look past them.
func (p *parser) startsID() bool {
	for k := 0; ; k++ {
		switch t := p.peekAt(k); t.kind {
		case tNot, tLParen:
			continue
		default:
			return isValue(t)
		}
	}
}

// parseExpr: expr: term | expr and term | expr and id | expr or term | expr or id
func (p *parser) parseExpr(inh qual) (*node, qual) {
	n, q := p.parseTerm(inh)
	for {
		op := p.peek()
		if op.kind != tAnd && op.kind != tOr {
			return n, q
		}
		p.next()
		if p.peek().kind == tEOF {
			p.endsEarly()
		}
		var m *node
		if p.startsID() {
			m = p.parseID(q, op)
		} else {
			m, q = p.parseTerm(q)
		}
		k := kAnd
		if op.kind == tOr {
			k = kOr
		}
		n = &node{kind: k, l: n, r: m}
	}
}

// parseTerm: term: rterm | not term; rterm: head id | paren expr ')' | pname
func (p *parser) parseTerm(inh qual) (*node, qual) {
	t := p.peek()
	p.enter(t)
	defer p.leave()
	switch t.kind {
	case tNot:
		p.next()
		if p.peek().kind == tEOF {
			p.endsEarly()
		}
		n, q := p.parseTerm(inh)
		return &node{kind: kNot, l: n}, q
	case tLParen:
		p.next()
		if p.peek().kind == tRParen {
			p.fail(p.peek().pos, "empty parentheses")
		}
		n, _ := p.parseExpr(inh)
		p.closeParen(t)
		return n, inh
	case tWord:
		switch t.text {
		case "tcp", "udp", "ip", "ip6":
			p.next()
			pq := pTCP
			switch t.text {
			case "udp":
				pq = pUDP
			case "ip":
				pq = pIP
			case "ip6":
				pq = pIP6
			}
			switch nt := p.peek(); {
			case nt.kind == tWord && isHeadWord(nt.text):
				return p.parseHead(pq, t)
			case nt.kind == tWord && libpcapKeywords[nt.text]:
				p.fail(nt.pos, "unsupported primitive %q"+supportedHint, t.text+" "+nt.text)
			case nt.kind == tOp && nt.text == "[":
				p.fail(nt.pos, "unsupported primitive %q (packet data access)"+supportedHint, t.text+"[")
			}
			return &node{kind: kProto, proto: pq}, qual{from: t.text}
		case "src", "dst", "host", "net", "port", "portrange":
			return p.parseHead(pAny, token{})
		case "mask":
			p.fail(t.pos, `"mask" must follow a network address, as in "net 10.0.0.0 mask 255.0.0.0"`)
		}
	}
	p.unexpected(t)
	return nil, qual{}
}

func isHeadWord(w string) bool {
	switch w {
	case "src", "dst", "host", "net", "port", "portrange":
		return true
	}
	return false
}

func (p *parser) closeParen(open token) {
	t := p.peek()
	if t.kind == tRParen {
		p.next()
		return
	}
	if t.kind == tEOF {
		p.fail(len(p.expr), "missing \")\" to close the \"(\" at offset %d", open.pos)
	}
	p.trailing(t)
}

// parseHead: head id, where head: pqual dqual aqual | pqual dqual | pqual aqual.
func (p *parser) parseHead(pq proto, pqTok token) (*node, qual) {
	q := qual{ok: true, proto: pq}
	last := pqTok
	if t := p.peek(); t.kind == tWord && (t.text == "src" || t.text == "dst") {
		p.next()
		last = t
		q.dir = dSrc
		other := "dst"
		if t.text == "dst" {
			q.dir, other = dDst, "src"
		}
		if op, o := p.peekAt(0), p.peekAt(1); (op.kind == tAnd || op.kind == tOr) && o.kind == tWord && o.text == other {
			p.next()
			p.next()
			last = o
			q.dir = dAny // "src or dst" is the default
			if op.kind == tAnd {
				q.dir = dAnd
			}
		}
	}
	if t := p.peek(); t.kind == tWord {
		switch t.text {
		case "host":
			q.addr = aHost
		case "net":
			q.addr = aNet
		case "port":
			q.addr = aPort
		case "portrange":
			q.addr = aPortrange
		case "proto", "protochain", "gateway", "broadcast", "multicast":
			p.fail(t.pos, "unsupported primitive %q"+supportedHint, t.text)
		}
		if q.addr != aDefault {
			p.next()
			last = t
		}
	}
	// The head must be followed by an id: a value, "not", or "(".
	if nt := p.peek(); nt.kind != tNot && nt.kind != tLParen && !isValue(nt) {
		switch last.text {
		case "host":
			p.fail(last.pos, `"host" needs an address`)
		case "net":
			p.fail(last.pos, `"net" needs a network`)
		case "port":
			p.fail(last.pos, `"port" needs a port number`)
		case "portrange":
			p.fail(last.pos, `"portrange" needs a port range such as 4000-5000`)
		}
		p.fail(last.pos, "%q needs an address, or a \"host\", \"net\", \"port\" or \"portrange\" qualifier and a value", last.text)
	}
	return p.parseID(q, last), q
}

// parseID: id: nid | pnum | paren pid ')' ; nid: value | not id. Every
// value in it is read with q. after is the token before, for messages.
func (p *parser) parseID(q qual, after token) *node {
	t := p.peek()
	p.enter(t)
	defer p.leave()
	switch t.kind {
	case tNot:
		p.next()
		return &node{kind: kNot, l: p.parseID(q, t)}
	case tLParen:
		p.next()
		if p.peek().kind == tRParen {
			p.fail(p.peek().pos, "empty parentheses")
		}
		// pid: id | pid and id | pid or id, all with the same qualifiers.
		n := p.parseID(q, t)
		for {
			op := p.peek()
			if op.kind != tAnd && op.kind != tOr {
				break
			}
			p.next()
			m := p.parseID(q, op)
			k := kAnd
			if op.kind == tOr {
				k = kOr
			}
			n = &node{kind: k, l: n, r: m}
		}
		p.closeParen(t)
		return n
	case tWord:
		if isValue(t) {
			p.next()
			return p.value(t, q)
		}
		if keywords[t.text] || libpcapKeywords[t.text] {
			p.fail(t.pos, "expected a value after %q, found %q (a list of values after a qualifier, as in \"port (443 or 8443)\", cannot hold other primitives)", after.text, t.text)
		}
	case tEOF:
		p.endsEarly()
	}
	p.unexpected(t)
	return nil
}

// value builds the primitive for value token t under qualifiers q, reading
// a following "/len" or "mask M".
func (p *parser) value(t token, q qual) *node {
	w := t.text
	if !q.ok {
		if q.from != "" {
			p.fail(t.pos, "%q needs a qualifier such as \"host\" or \"port\" (%q has none to repeat)", w, q.from)
		}
		p.fail(t.pos, "%q needs a qualifier such as \"host\" or \"port\"", w)
	}
	switch q.addr {
	case aPort, aPortrange:
		return p.portValue(t, q)
	}
	return p.addrValue(t, q)
}

func (p *parser) portValue(t token, q qual) *node {
	w := t.text
	what := "port"
	if q.addr == aPortrange {
		what = "portrange"
	}
	if q.proto == pIP || q.proto == pIP6 {
		p.fail(t.pos, "%q cannot qualify %q (write \"%s and %s %s\")", protoNames[q.proto], what, protoNames[q.proto], what, w)
	}
	if nt := p.peek(); nt.kind == tSlash || nt.kind == tWord && nt.text == "mask" {
		p.fail(nt.pos, "a mask applies to networks only, not to a %s", what)
	}
	n := &node{kind: kPort, proto: q.proto, dir: q.dir, rng: q.addr == aPortrange}
	switch {
	case isNumber(w):
		v := p.port(t, w)
		n.lo, n.hi = v, v
	case q.addr == aPortrange && strings.Contains(w, "-"):
		a, b, _ := strings.Cut(w, "-")
		if !isDecimal(a) || !isDecimal(b) {
			p.fail(t.pos, "%q is not a port range (write it as 4000-5000)", w)
		}
		// Each side is decimal here (libpcap reads the range with
		// sscanf "%d-%d"), unlike a lone number.
		n.lo, n.hi = p.decimalPort(t, a), p.decimalPort(t, b)
		if n.lo > n.hi {
			n.lo, n.hi = n.hi, n.lo // as tcpdump does
		}
	case strings.ContainsAny(w, ".:"):
		p.fail(t.pos, "%q is not a port number", w)
	case q.addr == aPort && strings.Contains(w, "-"):
		p.fail(t.pos, "%q is not a port number (for a range, write \"portrange %s\")", w, w)
	default:
		p.fail(t.pos, "%s %q: service names are not supported, write the port number", what, w)
	}
	return n
}

func (p *parser) port(t token, s string) uint16 {
	v, err := parseNum(s)
	if err == errOverflow || err == nil && v > 65535 {
		p.fail(t.pos, "port number %s out of range (0-65535)", s)
	}
	if err != nil {
		p.fail(t.pos, "port %q: %v", s, err)
	}
	return uint16(v)
}

func (p *parser) decimalPort(t token, s string) uint16 {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v > 65535 {
		p.fail(t.pos, "port number %s out of range (0-65535)", s)
	}
	return uint16(v)
}

var errOverflow = errors.New("number overflows 32 bits")

func (p *parser) addrValue(t token, q qual) *node {
	w := t.text
	isNet := q.addr == aNet
	if q.proto == pTCP || q.proto == pUDP {
		what := "a host"
		if isNet {
			what = "a network"
		}
		p.fail(t.pos, "%q cannot qualify %s, only a port or portrange", protoNames[q.proto], what)
	}
	n := &node{kind: kAddr, proto: q.proto, dir: q.dir, net: isNet}
	// Collect a "/len" or "mask M" suffix first: it decides how the
	// address is read.
	var lenTok, maskTok token
	hasLen, hasMask := false, false
	switch nt := p.peek(); {
	case nt.kind == tSlash:
		p.next()
		lenTok = p.next()
		if lenTok.kind != tWord || !isNumber(lenTok.text) {
			p.fail(lenTok.pos, "%q needs a prefix length after \"/\"", w+"/")
		}
		hasLen = true
	case nt.kind == tWord && nt.text == "mask":
		p.next()
		maskTok = p.next()
		if maskTok.kind != tWord {
			p.fail(maskTok.pos, `"mask" needs a dotted IPv4 netmask`)
		}
		hasMask = true
	}
	if (hasLen || hasMask) && !isNet {
		var b strings.Builder
		n.qualifiers(&b)
		p.fail(t.pos, "a mask applies to networks only (write \"%snet %s\")", b.String(), p.expr[t.pos:p.prev().pos+len(p.prev().text)])
	}

	if strings.Contains(w, ":") {
		a, err := netip.ParseAddr(w)
		if err != nil || !a.Is6() || a.Zone() != "" {
			p.fail(t.pos, "%q is not a valid IPv6 address", w)
		}
		if q.proto == pIP {
			p.fail(t.pos, "\"ip\" cannot qualify the IPv6 address %q (use \"ip6\")", w)
		}
		if hasMask {
			p.fail(maskTok.pos, "\"mask\" applies to IPv4 networks only: write %s/len", w)
		}
		bits := 128
		if hasLen {
			v, err := parseNum(lenTok.text)
			if err != nil || v > 128 {
				p.fail(lenTok.pos, "IPv6 prefix length %s must be at most 128", lenTok.text)
			}
			bits = int(v)
		}
		n.v6, n.bits, n.addr = true, bits, a.As16()
		for i := range bits {
			n.mask[i/8] |= 0x80 >> (i % 8)
		}
		p.checkNetworkBits(n, t, w+p.suffix(hasLen, lenTok, hasMask, maskTok))
		n.prepare()
		return n
	}

	if isNumber(w) && !isNet {
		// libpcap reads it as a 32-bit address ("host 10" is 0.0.0.10),
		// which is never what was meant.
		p.fail(t.pos, "%q is not an IP address", w)
	}
	parts, ok := dotted(w)
	if !ok {
		if isNumber(w) {
			p.fail(t.pos, "network %q: write it in dotted form, such as 10.0.0.0/8", w)
		}
		if strings.Count(w, ".") > 0 && strings.Trim(w, "0123456789.") == "" {
			p.fail(t.pos, "invalid IPv4 address %q", w)
		}
		p.fail(t.pos, "%q is not an IP address; host and network names are not resolved (tlsscan does no name lookups)", w)
	}
	if q.proto == pIP6 {
		p.fail(t.pos, "\"ip6\" cannot qualify the IPv4 address %q (use \"ip\")", w)
	}
	if !isNet && len(parts) != 4 {
		p.fail(t.pos, "%q is not a full IPv4 address (for a network, write \"net %s\")", w, w)
	}
	if isNumber(w) && (hasLen || hasMask || w[0] == '0') {
		// libpcap's grammar has "HID / NUM" but not "NUM / NUM", and
		// reads a lone number with a leading 0 as octal (and "net 0" as
		// the host 0.0.0.0): dotted form says what is meant.
		p.fail(t.pos, "network %q: write it in dotted form, such as 10.0.0.0/8", w)
	}
	// As libpcap: a short address is promoted to the top bytes ("10.1"
	// is 10.1.0.0), and without a mask its length gives the prefix.
	copy(n.addr[:], parts)
	n.bits = 8 * len(parts)
	switch {
	case hasLen:
		v, err := parseNum(lenTok.text)
		if err != nil || v > 32 {
			p.fail(lenTok.pos, "IPv4 prefix length %s must be at most 32", lenTok.text)
		}
		n.bits = int(v)
	case hasMask:
		m, ok := dotted(maskTok.text)
		if !ok || len(m) != 4 {
			p.fail(maskTok.pos, "%q is not a dotted IPv4 netmask", maskTok.text)
		}
		copy(n.mask[:4], m)
		n.bits = contiguous(m) // -1 if not contiguous: kept as "mask M"
	}
	if n.bits >= 0 {
		for i := range n.bits {
			n.mask[i/8] |= 0x80 >> (i % 8)
		}
	}
	p.checkNetworkBits(n, t, w+p.suffix(hasLen, lenTok, hasMask, maskTok))
	n.prepare()
	return n
}

func (p *parser) suffix(hasLen bool, lenTok token, hasMask bool, maskTok token) string {
	switch {
	case hasLen:
		return "/" + lenTok.text
	case hasMask:
		return " mask " + maskTok.text
	}
	return ""
}

// checkNetworkBits refuses an address with bits outside its mask, with
// libpcap's message: "net 10.1.2.3/8" is most likely a typo.
func (p *parser) checkNetworkBits(n *node, t token, text string) {
	for i := range n.addr {
		if n.addr[i]&^n.mask[i] != 0 {
			p.fail(t.pos, "non-network bits set in %q", text)
		}
	}
}

// contiguous returns the prefix length of a contiguous netmask, or -1.
func contiguous(m []byte) int {
	ones := 0
	for ones < 32 && m[ones/8]&(0x80>>(ones%8)) != 0 {
		ones++
	}
	for i := ones; i < 32; i++ {
		if m[i/8]&(0x80>>(i%8)) != 0 {
			return -1
		}
	}
	return ones
}

// dotted parses 1 to 4 decimal components (libpcap's __pcap_atoin, which
// reads "010" as ten).
func dotted(w string) ([]byte, bool) {
	parts := strings.Split(w, ".")
	if len(parts) > 4 {
		return nil, false
	}
	out := make([]byte, len(parts))
	for i, s := range parts {
		if !isDecimal(s) || len(s) > 3 {
			return nil, false
		}
		v, _ := strconv.Atoi(s)
		if v > 255 {
			return nil, false
		}
		out[i] = byte(v)
	}
	return out, true
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isNumber reports whether w is a NUM token of libpcap's scanner: decimal,
// or hexadecimal with 0x (octal is decimal-looking and checked later).
func isNumber(w string) bool {
	if len(w) > 2 && (w[:2] == "0x" || w[:2] == "0X") {
		for i := 2; i < len(w); i++ {
			c := w[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	return isDecimal(w)
}

// parseNum reads a number as libpcap does: 0x for hexadecimal, a leading 0
// for octal (so "port 0443" is port 291, as in tcpdump).
func parseNum(s string) (uint64, error) {
	base, digits := 10, s
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errOverflow
		}
		if base == 8 {
			return 0, errors.New("a number with a leading 0 is octal, and this one has a non-octal digit")
		}
		return 0, errors.New("not a number")
	}
	return v, nil
}
