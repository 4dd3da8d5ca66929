package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// TestJSONSchemaOnFixtures runs every golden fixture through the CLI as
// JSON lines and checks each line against the published schema
// (docs/schema/row.schema.json), and that every line of every fixture has
// the same keys in the same order: the schema's required list, so a
// consumer needs no defaults.
func TestJSONSchemaOnFixtures(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "schema", "row.schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("row.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("row.schema.json")
	if err != nil {
		t.Fatalf("%s does not compile: %v", path, err)
	}
	var want []string
	for _, k := range doc.(map[string]any)["required"].([]any) {
		want = append(want, k.(string))
	}

	inputs, names := goldenInputsSorted(t)
	total, hexSeen := 0, false
	for _, name := range names {
		files := slices.Clone(inputs[name])
		if files[0] != "--keylog" {
			sort.Strings(files)
		}
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			run(append([]string{"--format", "json", "-q"}, files...), strings.NewReader(""), &out, &errb)
			for i, line := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
				if len(line) == 0 {
					continue
				}
				total++
				v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
				if err != nil {
					t.Fatalf("line %d: %v: %s", i+1, err, line)
				}
				if err := sch.Validate(v); err != nil {
					t.Errorf("line %d does not follow the schema: %#v\n%s", i+1, err, line)
				}
				if got := testkit.JSONKeys(t, line); !slices.Equal(got, want) {
					t.Errorf("line %d keys = %v, want %v", i+1, got, want)
				}
				if v.(map[string]any)["sni_hex"] != nil {
					hexSeen = true
				}
			}
		})
	}
	if total == 0 {
		t.Error("no JSON line checked")
	}
	if !hexSeen {
		t.Error("no fixture gave an sni_hex (pcaps/crafted/hostile-sni.pcap should)")
	}
}
