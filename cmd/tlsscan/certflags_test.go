package main

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertFlagsCABundle runs the real certificate-flag captures
// (pcaps/real/certflags, made by pcaps/peers/certflags.sh) and
// tls12-mtls.pcap with --ca-bundle pcaps/certs/ca-a.pem: chain_invalid
// must be set exactly on the rows whose server or client chain does not
// verify to CA A at capture time (an expired or not yet valid leaf, a
// self-signed leaf, an expired client leaf), not on sni-mismatch (a valid
// CA A chain; the host name is not part of the chain check) nor on
// tls12-mtls. The certificate flags proper are the same with or without
// the bundle.
func TestCertFlagsCABundle(t *testing.T) {
	pcaps := filepath.Join("..", "..", "pcaps")
	want := map[string]struct {
		flags    []string // all the row's flags without the bundle
		chainBad bool     // chain_invalid added with the bundle
	}{
		"pcaps/real/certflags/expired.pcap":        {[]string{"expired"}, true},
		"pcaps/real/certflags/not-yet-valid.pcap":  {[]string{"not_yet_valid"}, true},
		"pcaps/real/certflags/self-signed.pcap":    {[]string{"self_signed"}, true},
		"pcaps/real/certflags/sni-mismatch.pcap":   {[]string{"sni_mismatch"}, false},
		"pcaps/real/certflags/client-expired.pcap": {[]string{"expired"}, true},
		"pcaps/real/tls12-mtls.pcap":               {[]string{"ticket_issued"}, false},
	}
	var files []string
	for f := range want {
		files = append(files, filepath.Join("..", "..", filepath.FromSlash(f)))
	}
	bundle := filepath.Join(pcaps, "certs", "ca-a.pem")
	for _, withBundle := range []bool{false, true} {
		args := []string{"--format", "csv", "-q"}
		if withBundle {
			args = append(args, "--ca-bundle", bundle)
		}
		args = append(args, files...)
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != exitOK {
			t.Fatalf("bundle %v: exit %d: %s", withBundle, code, errb.String())
		}
		rows, err := csv.NewReader(strings.NewReader(relPaths(out.String()))).ReadAll()
		if err != nil || len(rows) < 1 {
			t.Fatalf("bundle %v: bad CSV: %v", withBundle, err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		seen := map[string]int{}
		for _, r := range rows[1:] {
			file := filepath.ToSlash(r[col["file"]])
			w, ok := want[file]
			if !ok {
				t.Errorf("unexpected row for %s", file)
				continue
			}
			seen[file]++
			wantFlags := append([]string{}, w.flags...)
			if withBundle && w.chainBad {
				wantFlags = append(wantFlags, "chain_invalid")
			}
			got := map[string]bool{}
			if s := r[col["flags"]]; s != "" {
				for _, f := range strings.Split(s, ";") {
					got[f] = true
				}
			}
			if len(got) != len(wantFlags) {
				t.Errorf("bundle %v: %s: flags %q, want exactly %q", withBundle, file, r[col["flags"]], wantFlags)
				continue
			}
			for _, f := range wantFlags {
				if !got[f] {
					t.Errorf("bundle %v: %s: flags %q, want exactly %q", withBundle, file, r[col["flags"]], wantFlags)
					break
				}
			}
		}
		for file := range want {
			if seen[file] != 1 {
				t.Errorf("bundle %v: %d rows for %s, want 1", withBundle, seen[file], file)
			}
		}
	}
}
