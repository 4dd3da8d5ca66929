package report

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// schemaPath is the published contract of a JSON line.
var schemaPath = filepath.Join("..", "docs", "schema", "row.schema.json")

// loadSchema returns the schema as a document and compiled, with format
// assertions on (ipv4/ipv6 are checked, not just annotated).
func loadSchema(t *testing.T) (doc map[string]any, sch *jsonschema.Schema) {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("row.schema.json", raw); err != nil {
		t.Fatal(err)
	}
	sch, err = c.Compile("row.schema.json")
	if err != nil {
		t.Fatalf("%s does not compile: %v", schemaPath, err)
	}
	return raw.(map[string]any), sch
}

// validateLines checks every line of out against the schema and that its
// keys are the schema's required list, in that order. It returns the lines
// decoded.
func validateLines(t *testing.T, name string, doc map[string]any, sch *jsonschema.Schema, out []byte) []map[string]any {
	t.Helper()
	want := stringList(t, doc["required"])
	var objs []map[string]any
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
		if err != nil {
			t.Fatalf("%s line %d: %v", name, i+1, err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s line %d does not follow the schema: %#v\n%s", name, i+1, err, line)
		}
		if got := testkit.JSONKeys(t, line); !slices.Equal(got, want) {
			t.Errorf("%s line %d keys = %v, want %v", name, i+1, got, want)
		}
		objs = append(objs, v.(map[string]any))
	}
	return objs
}

func stringList(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = s.(string)
	}
	return out
}

// The golden files are the contract's examples: every line follows it.
// servers.*.json.golden are the per-server report (servers.go), another
// document.
func TestSchemaGoldenFiles(t *testing.T) {
	doc, sch := loadSchema(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*.json.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JSON goldens: %v", err)
	}
	n := 0
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "servers.") {
			continue
		}
		out, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += len(validateLines(t, f, doc, sch, out))
	}
	if n == 0 {
		t.Error("no line checked")
	}
}

// edgeRows are rows at the edges of the contract: no Detail at all, every
// field set, text that is not UTF-8 without a Converter's hex.
func edgeRows() []*Row {
	bare := &Row{Time: day1, ClientCerts: -1, ServerCerts: -1}
	full := *testRows()[1]
	full.Flags = tlsparse.Flags(^uint64(0)) // every flag
	full.Alert = "client:unknown(200)"
	full.History = "^" + strings.Repeat("CsxkrnXGIl", 10)
	full.Evidence = tlsparse.EvidenceRecordSizes
	d := *full.Detail
	d.Errors = []string{"client: x", "server: y"}
	d.SNIHex, d.ALPNHex = "ff", "c0"
	d.Tickets13 = 2
	d.CertRequest = &CertRequest{CertTypes: []string{}, CANames: []string{}} // TLS 1.3: sig_algs nil
	full.Detail = &d
	full.SNI, full.ALPN = "\xff", "\xc0"
	badUTF8 := &Row{
		Time: day1, ClientIP: netip.MustParseAddr("::ffff:192.0.2.1"), SNI: "a\xffb", ALPN: "h2\xfe",
		ClientCerts: -1, ServerCerts: -1, Packet: 1,
	}
	return []*Row{bare, &full, badUTF8, {Time: day1, ClientCerts: -1, ServerCerts: -1, Detail: &Detail{}}}
}

func TestSchemaEdgeRows(t *testing.T) {
	doc, sch := loadSchema(t)
	rows := append(testRows(), edgeRows()...)
	out, _ := render(t, FormatJSON, false, rows, nil)
	objs := validateLines(t, "edge rows", doc, sch, out)
	if len(objs) != len(rows) {
		t.Fatalf("%d lines for %d rows", len(objs), len(rows))
	}
	// A row without Detail has every key, each at its empty value.
	bare := objs[len(testRows())]
	for k, want := range map[string]any{
		"cert_request": nil, "server_chain": []any{}, "client_chain": []any{},
		"anomalies": map[string]any{}, "errors": []any{}, "sni_hex": nil,
		"alpn_hex": nil, "tls13_tickets": json.Number("0"), "flags": []any{},
		"client_certs": nil, "server_certs": nil, "packet": nil,
		"schema_version": json.Number("1"),
	} {
		if !reflect.DeepEqual(bare[k], want) {
			t.Errorf("nil Detail: %s = %#v, want %#v", k, bare[k], want)
		}
	}
	full := objs[len(testRows())+1]
	if cr, _ := full["cert_request"].(map[string]any); cr == nil || !reflect.DeepEqual(cr["sig_algs"], []any{}) {
		t.Errorf("cert_request without sig_algs = %#v, want sig_algs []", full["cert_request"])
	}
	// The writer adds the hex the Converter would have.
	bad := objs[len(testRows())+2]
	if bad["sni_hex"] != "61ff62" || bad["alpn_hex"] != "6832fe" {
		t.Errorf("sni_hex, alpn_hex = %v, %v, want 61ff62, 6832fe", bad["sni_hex"], bad["alpn_hex"])
	}
	if h := objs[3]["sni_hex"]; h != hex.EncodeToString([]byte(testRows()[3].SNI)) {
		t.Errorf("testRows()[3] sni_hex = %v", h)
	}
}

// The schema is what the writer writes: its keys are jsonRow's, in order,
// all required, each described, and schema_version is SchemaVersion.
func TestSchemaMatchesWriter(t *testing.T) {
	doc, _ := loadSchema(t)
	var tags []string
	rt := reflect.TypeFor[jsonRow]()
	for i := range rt.NumField() {
		tags = append(tags, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	if req := stringList(t, doc["required"]); !slices.Equal(req, tags) {
		t.Errorf("schema required = %v,\njsonRow keys    = %v", req, tags)
	}
	if doc["additionalProperties"] != false {
		t.Error("schema allows keys it does not list")
	}
	props := doc["properties"].(map[string]any)
	if len(props) != len(tags) {
		t.Errorf("schema has %d properties, jsonRow %d keys", len(props), len(tags))
	}
	for _, k := range tags {
		p, ok := props[k].(map[string]any)
		if !ok {
			t.Errorf("schema has no property %q", k)
			continue
		}
		if d, _ := p["description"].(string); d == "" {
			t.Errorf("schema property %q has no description", k)
		}
	}
	if v := props["schema_version"].(map[string]any)["const"]; v != json.Number("1") || SchemaVersion != 1 {
		t.Errorf("schema_version const %v, SchemaVersion %d: keep them equal", v, SchemaVersion)
	}
}

// names lists the spellings String gives the values 0..255 of a verdict
// type, stopping at the first value without a name ("Type(N)").
func names(str func(uint8) string, typ string) []string {
	var out []string
	for v := range 256 {
		s := str(uint8(v))
		if strings.HasPrefix(s, typ+"(") {
			break
		}
		out = append(out, s)
	}
	return out
}

// The schema's enums are exactly what tlsparse can spell: a new flag or
// verdict value must be added to the schema (and docs/output.md) too.
func TestSchemaEnums(t *testing.T) {
	doc, _ := loadSchema(t)
	props := doc["properties"].(map[string]any)
	enum := func(p map[string]any) []string {
		l := stringList(t, p["enum"])
		slices.Sort(l)
		return l
	}
	var flags []string
	for f := range tlsparse.Flags(^uint64(0)).All() {
		flags = append(flags, f.String())
	}
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"resumption", names(func(v uint8) string { return tlsparse.Resumption(v).String() }, "Resumption")},
		{"cert_requested", names(func(v uint8) string { return tlsparse.CertRequested(v).String() }, "CertRequested")},
		{"client_cert", names(func(v uint8) string { return tlsparse.ClientCert(v).String() }, "ClientCert")},
		{"evidence", names(func(v uint8) string { return tlsparse.Evidence(v).String() }, "Evidence")},
		{"flags", flags},
	} {
		p := props[tc.key].(map[string]any)
		if tc.key == "flags" {
			p = p["items"].(map[string]any)
		}
		want := slices.Sorted(slices.Values(tc.want))
		if got := enum(p); !slices.Equal(got, want) {
			t.Errorf("schema enum of %s = %v,\ntlsparse spells      %v", tc.key, got, want)
		}
	}
	if len(flags) < 30 {
		t.Errorf("only %d flags found", len(flags))
	}
}
