package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// FailOn is a parsed --fail-on list (docs/audit.md "CI gates"): terms that
// a row can match, a flag it carries or a predicate on one of its columns.
// The caller feeds it every row written (Add) and exits with status 3 when
// Matched is not zero.
//
// The grammar:
//
//	LIST   = TERM { "," TERM } .
//	TERM   = FLAG | COLUMN OP VALUE .          (blanks around each part ignored)
//	FLAG   = a flag name (docs/output.md "Flags"), matched when the row carries it .
//	COLUMN = "version" | "resumption" | "cert_requested" | "client_cert"
//	       | "established" | "evidence" | "sni" | "server_port" .
//	OP     = "=" | "!=" | "<" | "<=" | ">" | ">=" .   (the last four for version only)
//	VALUE  = the column's spelling in the rows, validated per column .
//
// A value is the column's spelling as the rows print it, with "none" for
// an empty version or evidence, plus client_cert=declined: the server asked
// (cert_requested=yes) and the client answered without a certificate
// (client_cert empty or missing). Versions are ordered SSLv2 < SSLv3 <
// TLSv1.0 < TLSv1.1 < TLSv1.2 < TLSv1.3; a row without one of these (none,
// a draft's 0xNNNN) never matches an ordering.
//
// Not safe for concurrent use (Add counts).
type FailOn struct {
	terms   []failTerm
	counts  []uint64
	matched uint64
}

// failTerm is one parsed term: its canonical spelling and its predicate.
type failTerm struct {
	text  string
	match func(*Row) bool
}

// FailOnCount is how many rows matched one term.
type FailOnCount struct {
	Term string // canonical spelling, e.g. "version<TLSv1.2"
	Rows uint64
}

// failOnColumns are the columns a term can test, in the order the error
// messages list them, each with an example for "needs an operator".
var failOnColumns = []struct{ name, example string }{
	{"version", "version<TLSv1.2"},
	{"resumption", "resumption=session_id"},
	{"cert_requested", "cert_requested=yes"},
	{"client_cert", "client_cert=declined"},
	{"established", "established=no"},
	{"evidence", "evidence=record_sizes"},
	{"sni", "sni=example.com"},
	{"server_port", "server_port=443"},
}

// versionRank orders the named versions for <, <=, >, >=.
var versionRank = map[string]int{
	"SSLv2": 1, "SSLv3": 2, "TLSv1.0": 3, "TLSv1.1": 4, "TLSv1.2": 5, "TLSv1.3": 6,
}

// versionNames lists versionRank's keys in order, for messages.
var versionNames = []string{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// clientCertDeclined is the client_cert pseudo-value (docs/audit.md).
const clientCertDeclined = "declined"

// Spellings of the typed verdicts, read from their String methods so that
// a new value is accepted without a change here. Each list has the values
// in declaration order with unknown (the zero value) moved last, the order
// of docs/output.md.
var (
	resumptionValues    = verdictValues(func(v uint8) string { return tlsparse.Resumption(v).String() })
	certRequestedValues = verdictValues(func(v uint8) string { return tlsparse.CertRequested(v).String() })
	clientCertValues    = verdictValues(func(v uint8) string { return tlsparse.ClientCert(v).String() })
	evidenceValues      = verdictValues(func(v uint8) string {
		if v == 0 {
			return "none" // EvidenceNone prints as an empty column
		}
		return tlsparse.Evidence(v).String()
	})
	flagsByName = func() map[string]tlsparse.Flag {
		m := map[string]tlsparse.Flag{}
		for v := 1; v < 256; v++ {
			f := tlsparse.Flag(v)
			if s := f.String(); !strings.Contains(s, "(") {
				m[s] = f
			}
		}
		return m
	}()
)

// verdictValues lists a verdict type's spellings: name(0), name(1), ...
// up to the first value without a name (spelled "Type(n)").
func verdictValues(name func(uint8) string) []string {
	var out []string
	for v := 0; v < 256; v++ {
		s := name(uint8(v))
		if strings.Contains(s, "(") {
			break
		}
		out = append(out, s)
	}
	if len(out) > 1 {
		out = append(out[1:], out[0])
	}
	return out
}

// ParseFailOn parses a --fail-on list. The error names the first bad term
// and says what was expected; it starts with "--fail-on: " and is meant to
// be printed as it is (a usage error, exit status 2).
func ParseFailOn(list string) (*FailOn, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("--fail-on: empty list: want flag names or COLUMN OP VALUE terms, separated by commas")
	}
	f := &FailOn{}
	seen := map[string]bool{}
	for _, raw := range strings.Split(list, ",") {
		s := strings.TrimSpace(raw)
		if s == "" {
			return nil, fmt.Errorf("--fail-on: empty term in %q: terms are separated by single commas", list)
		}
		t, err := parseFailTerm(s)
		if err != nil {
			return nil, fmt.Errorf("--fail-on: %w", err)
		}
		if seen[t.text] {
			continue // the same test twice would only be counted twice
		}
		seen[t.text] = true
		f.terms = append(f.terms, t)
	}
	f.counts = make([]uint64, len(f.terms))
	return f, nil
}

func parseFailTerm(s string) (failTerm, error) {
	i := strings.IndexAny(s, "=!<>")
	if i < 0 {
		if fl, ok := flagsByName[s]; ok {
			return failTerm{s, func(r *Row) bool { return r.Flags.Has(fl) }}, nil
		}
		for _, c := range failOnColumns {
			if s == c.name {
				return failTerm{}, fmt.Errorf("bad term %q: %s needs an operator and a value, such as %s", s, s, c.example)
			}
		}
		if near := failOnClosest(s, failOnFlagNames()); near != "" {
			return failTerm{}, fmt.Errorf("unknown term %q: not a flag name (closest is %s)", s, near)
		}
		return failTerm{}, fmt.Errorf("unknown term %q: want a flag name (docs/output.md \"Flags\") or COLUMN OP VALUE with COLUMN one of %s", s, failOnColumnNames())
	}

	col := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op string
	switch {
	case strings.HasPrefix(rest, "!="), strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, ">="):
		op = rest[:2]
	case rest[0] == '=' || rest[0] == '<' || rest[0] == '>':
		op = rest[:1]
	default:
		return failTerm{}, fmt.Errorf("bad term %q: want an operator =, !=, <, <=, > or >= after %q", s, col)
	}
	val := strings.TrimSpace(rest[len(op):])

	known := false
	for _, c := range failOnColumns {
		known = known || c.name == col
	}
	if !known {
		if _, ok := flagsByName[col]; ok {
			return failTerm{}, fmt.Errorf("bad term %q: %s is a flag: write its name alone to match the rows that carry it", s, col)
		}
		if col == "flag" || col == "flags" {
			return failTerm{}, fmt.Errorf("bad term %q: write a flag name alone to match the rows that carry it", s)
		}
		msg := fmt.Sprintf("unknown term %q: unknown column %q, want one of %s", s, col, failOnColumnNames())
		if near := failOnClosest(col, failOnColumnList()); near != "" {
			msg += " (closest is " + near + ")"
		}
		return failTerm{}, errors.New(msg)
	}
	ordering := op != "=" && op != "!="
	if ordering && col != "version" {
		return failTerm{}, fmt.Errorf("bad term %q: %s takes = or != (only version takes <, <=, >, >=)", s, col)
	}

	var get func(*Row) string // the row's value, compared with val
	switch col {
	case "version":
		return parseVersionTerm(s, op, val)
	case "resumption":
		get = func(r *Row) string { return r.Resumption.String() }
		if err := failOnOneOf(s, col, val, resumptionValues); err != nil {
			return failTerm{}, err
		}
	case "cert_requested":
		get = func(r *Row) string { return r.CertRequested.String() }
		if err := failOnOneOf(s, col, val, certRequestedValues); err != nil {
			return failTerm{}, err
		}
	case "client_cert":
		if val == clientCertDeclined {
			return failOnNegate(failTerm{col + op + val, isDeclined}, op), nil
		}
		get = func(r *Row) string { return r.ClientCert.String() }
		if err := failOnOneOf(s, col, val, append(clientCertValues[:len(clientCertValues):len(clientCertValues)], clientCertDeclined)); err != nil {
			return failTerm{}, err
		}
	case "established":
		get = func(r *Row) string { return yesNo(r.Established) }
		if err := failOnOneOf(s, col, val, []string{"yes", "no"}); err != nil {
			return failTerm{}, err
		}
	case "evidence":
		get = func(r *Row) string {
			if r.Evidence == tlsparse.EvidenceNone {
				return "none"
			}
			return r.Evidence.String()
		}
		if err := failOnOneOf(s, col, val, evidenceValues); err != nil {
			return failTerm{}, err
		}
	case "sni":
		// Any text, compared byte for byte with the row's SNI before
		// escaping; an empty value matches the rows without SNI.
		get = func(r *Row) string { return r.SNI }
	case "server_port":
		n, err := strconv.ParseUint(val, 10, 16)
		if err != nil {
			return failTerm{}, fmt.Errorf("bad term %q: server_port is a number from 0 to 65535", s)
		}
		port := uint16(n)
		val = strconv.FormatUint(n, 10) // "0443" is 443
		return failOnNegate(failTerm{col + op + val, func(r *Row) bool { return r.ServerPort == port }}, op), nil
	}
	return failOnNegate(failTerm{col + op + val, func(r *Row) bool { return get(r) == val }}, op), nil
}

// parseVersionTerm parses version OP VALUE. VALUE is a version's name
// (any case), none, or 0xNNNN, which is spelled as the rows spell it
// (0x0303 is TLSv1.2, 0x7f1c is 0x7F1C).
func parseVersionTerm(s, op, val string) (failTerm, error) {
	canon := ""
	for _, n := range versionNames {
		if strings.EqualFold(val, n) {
			canon = n
		}
	}
	if canon == "" && len(val) == 6 && (strings.HasPrefix(val, "0x") || strings.HasPrefix(val, "0X")) {
		if n, err := strconv.ParseUint(val[2:], 16, 16); err == nil {
			canon = tlsparse.Version(n).String()
		}
	}
	if canon == "" && val == "none" {
		canon = val
	}
	if canon == "" {
		return failTerm{}, fmt.Errorf("unknown term %q: version is one of %s, none, or 0xNNNN", s, strings.Join(versionNames, ", "))
	}
	text := "version" + op + canon
	if op == "=" || op == "!=" {
		want := canon
		if want == "none" {
			want = ""
		}
		return failOnNegate(failTerm{text, func(r *Row) bool { return r.Version == want }}, op), nil
	}
	rank, ok := versionRank[canon]
	if !ok {
		return failTerm{}, fmt.Errorf("bad term %q: version %s needs one of %s", s, op, strings.Join(versionNames, ", "))
	}
	var cmp func(int) bool
	switch op {
	case "<":
		cmp = func(v int) bool { return v < rank }
	case "<=":
		cmp = func(v int) bool { return v <= rank }
	case ">":
		cmp = func(v int) bool { return v > rank }
	default: // ">="
		cmp = func(v int) bool { return v >= rank }
	}
	return failTerm{text, func(r *Row) bool {
		v, ok := versionRank[r.Version]
		return ok && cmp(v)
	}}, nil
}

// isDeclined is client_cert=declined: asked, and answered without a
// certificate.
func isDeclined(r *Row) bool {
	return r.CertRequested == tlsparse.CertRequestedYes &&
		(r.ClientCert == tlsparse.ClientCertEmpty || r.ClientCert == tlsparse.ClientCertMissing)
}

// negate turns an equality term into its != form when op is "!=".
func failOnNegate(t failTerm, op string) failTerm {
	if op != "!=" {
		return t
	}
	eq := t.match
	t.match = func(r *Row) bool { return !eq(r) }
	return t
}

// oneOf checks that val is one of values.
func failOnOneOf(term, col, val string, values []string) error {
	for _, v := range values {
		if val == v {
			return nil
		}
	}
	if val == "" {
		return fmt.Errorf("bad term %q: %s is one of %s", term, col, strings.Join(values, ", "))
	}
	return fmt.Errorf("unknown term %q: %s is one of %s", term, col, strings.Join(values, ", "))
}

func failOnColumnList() []string {
	out := make([]string, len(failOnColumns))
	for i, c := range failOnColumns {
		out[i] = c.name
	}
	return out
}

func failOnColumnNames() string { return strings.Join(failOnColumnList(), ", ") }

func failOnFlagNames() []string {
	out := make([]string, 0, len(flagsByName))
	for f := range tlsparse.Flags(^uint64(0)).All() {
		out = append(out, f.String())
	}
	return out
}

// closest returns the one candidate within edit distance 2 of s (a typo),
// or "" when there is none or more than one at the smallest distance.
func failOnClosest(s string, candidates []string) string {
	if len(s) > 64 {
		return ""
	}
	best, bestD, ties := "", 3, 0
	for _, c := range candidates {
		d := failOnEditDistance(s, c)
		switch {
		case d < bestD:
			best, bestD, ties = c, d, 0
		case d == bestD:
			ties++
		}
	}
	if ties > 0 {
		return ""
	}
	return best
}

// failOnEditDistance is the Levenshtein distance between a and b, in bytes.
func failOnEditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c = 1 + min(prev[j-1], prev[j], cur[j-1])
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Match returns the first term, in list order, that r matches. A nil
// FailOn or row matches nothing.
func (f *FailOn) Match(r *Row) (term string, ok bool) {
	if f == nil || r == nil {
		return "", false
	}
	for _, t := range f.terms {
		if t.match(r) {
			return t.text, true
		}
	}
	return "", false
}

// Add counts r against every term it matches and reports whether it
// matched any. A nil FailOn or row matches nothing.
func (f *FailOn) Add(r *Row) bool {
	if f == nil || r == nil {
		return false
	}
	hit := false
	for i, t := range f.terms {
		if t.match(r) {
			f.counts[i]++
			hit = true
		}
	}
	if hit {
		f.matched++
	}
	return hit
}

// Matched returns the number of rows given to Add that matched at least
// one term: the run fails (status 3) when it is not zero.
func (f *FailOn) Matched() uint64 {
	if f == nil {
		return 0
	}
	return f.matched
}

// Counts returns every term in list order with the rows it matched.
func (f *FailOn) Counts() []FailOnCount {
	if f == nil {
		return nil
	}
	out := make([]FailOnCount, len(f.terms))
	for i, t := range f.terms {
		out[i] = FailOnCount{t.text, f.counts[i]}
	}
	return out
}

// Messages returns one line per term that matched, in list order, e.g.
// "client_cert=declined matched 3 rows", for the caller to print after
// its "tlsscan: fail-on: " prefix.
func (f *FailOn) Messages() []string {
	var out []string
	for _, c := range f.Counts() {
		if c.Rows == 0 {
			continue
		}
		unit := " rows"
		if c.Rows == 1 {
			unit = " row"
		}
		out = append(out, c.Term+" matched "+strconv.FormatUint(c.Rows, 10)+unit)
	}
	return out
}

// Terms returns the terms' canonical spellings, in list order.
func (f *FailOn) Terms() []string {
	if f == nil {
		return nil
	}
	out := make([]string, len(f.terms))
	for i, t := range f.terms {
		out[i] = t.text
	}
	return out
}

// String is the list in canonical spelling: ParseFailOn of it gives the
// same terms.
func (f *FailOn) String() string { return strings.Join(f.Terms(), ",") }
