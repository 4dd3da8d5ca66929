package pipeline

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tlsscan/tlsscan/report"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// linkWant is one row of a capture: its first packet, its resumption, the
// first packet of the row resumed_from names (0: none) with the inherited
// verdict, and the flags the linking decides.
type linkWant struct {
	packet uint64
	res    tlsparse.Resumption
	from   uint64
	cert   tlsparse.ClientCert
	flags  []tlsparse.Flag
}

var linkingFlags = tlsparse.FlagsOf(tlsparse.FlagSessionIDRejected, tlsparse.FlagTicketRejected,
	tlsparse.FlagTicketRejectedUnknown, tlsparse.FlagResumedWithoutClientAuth)

// TestLinksReal runs the captures with resumptions and refusals
// (pcaps/README) and checks that every resumed row names the connection
// its session came from, in sorted output at -j 1 and -j 4 alike. The
// origins were checked by hand with tshark (-d tcp.port==PORT,tls; with
// -o tls.keylog_file:F.keys for TLS 1.3): the session ID in the
// resumption's ClientHello is the one in the origin's ServerHello, the
// ticket in its session_ticket extension (or, TLS 1.3, its
// pre_shared_key identity) the one in the origin's NewSessionTicket.
func TestLinksReal(t *testing.T) {
	const (
		full  = tlsparse.ResumptionFull
		byID  = tlsparse.ResumptionSessionID
		tkt   = tlsparse.ResumptionTicket
		psk   = tlsparse.ResumptionPSK
		none  = tlsparse.ClientCertNone
		idRej = tlsparse.FlagSessionIDRejected
		tkRej = tlsparse.FlagTicketRejected
	)
	tests := []struct {
		file string
		keys string
		rows []linkWant
	}{
		// ID 50f915bd… issued in frame 6 (row 1's ServerHello),
		// offered in frames 17, 30, 43, 56, 69 and echoed.
		{file: "tls12-sessionid-resume.pcap", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 14, res: byID, from: 1, cert: none},
			{packet: 27, res: byID, from: 1, cert: none},
			{packet: 40, res: byID, from: 1, cert: none},
			{packet: 53, res: byID, from: 1, cert: none},
			{packet: 66, res: byID, from: 1, cert: none},
		}},
		// Ticket a99ca9e0… in frame 9 (row 1's NewSessionTicket),
		// offered in frame 21's session_ticket.
		{file: "tls12-ticket-resume.pcap", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 18, res: tkt, from: 1, cert: none},
		}},
		// ID 6e5ffa5c… issued in frame 6, offered in frame 21, refused
		// (frame 23 names a new ID).
		{file: "tls12-sessionid-rejected.pcap", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 18, res: full, flags: []tlsparse.Flag{idRej}},
		}},
		// Ticket 0c3ea04c… in frame 9, offered in frame 21 to the
		// restarted server, which makes a full handshake.
		{file: "tls12-ticket-rejected.pcap", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 18, res: full, flags: []tlsparse.Flag{tkRej}},
		}},
		// The Go client's random IDs (frames 4, 25, 129) were never
		// issued; row 43 resumes S1, made before the capture (no
		// origin); frames 87 and 108 offer f13d676e… (echoed in frame
		// 48) and df6b5b7e… (issued in frame 68).
		{file: "go-client-sessionid.pcap", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 22, res: full},
			{packet: 43, res: byID},
			{packet: 63, res: full},
			{packet: 84, res: full, flags: []tlsparse.Flag{idRej}},
			{packet: 105, res: full, flags: []tlsparse.Flag{idRej}},
			{packet: 126, res: full},
		}},
		// Port 8443: ticket bd2407a3… in frame 9, offered in frame 56;
		// port 443 is TLS 1.3 without keys: its PSK cannot be linked.
		{file: "multi.pcap", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 18, res: full},
			{packet: 36, res: full},
			{packet: 53, res: tkt, from: 1, cert: none},
			{packet: 70, res: psk},
			{packet: 87, res: full},
			{packet: 97, res: full},
			{packet: 108, res: full},
		}},
		// TLS 1.3 with the key log: ticket c3aa2ae2… in frames 9 and
		// 10 (decrypted), frame 23's pre_shared_key identity, selected
		// (0) in frame 25.
		{file: "keylog/tls13-psk.pcap", keys: "keylog/tls13-psk.keys", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 20, res: psk, from: 1, cert: none},
		}},
		{file: "keylog/tls13-0rtt-accepted.pcap", keys: "keylog/tls13-0rtt-accepted.keys", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 22, res: psk, from: 1, cert: none},
		}},
		// The PSK is refused (full handshake): psk_rejected stays
		// tlsparse's, nothing is linked.
		{file: "keylog/tls13-0rtt-rejected.pcap", keys: "keylog/tls13-0rtt-rejected.keys", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 22, res: full},
		}},
		// Without the key log the TLS 1.3 tickets are not seen.
		{file: "keylog/tls13-psk.pcap", rows: []linkWant{
			{packet: 1, res: full},
			{packet: 20, res: psk},
		}},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 4} {
			name := fmt.Sprintf("%s/keys=%v/j%d", tt.file, tt.keys != "", workers)
			t.Run(name, func(t *testing.T) {
				cfg := Config{Files: []string{realPcap(tt.file)}, Workers: workers}
				if tt.keys != "" {
					cfg.KeyLogs = []string{realPcap(tt.keys)}
				}
				checkLinks(t, cfg, realPcap(tt.file), tt.rows)
			})
		}
	}
}

// TestLinksCrafted: resumed_without_client_auth on the crafted capture
// (pcaps/craft: no real peer resumes so). T1 is issued by the full
// handshake without CertificateRequest (packet 1), T2 by the mTLS one
// (packet 19); the server asked in its only full handshake since T1.
func TestLinksCrafted(t *testing.T) {
	file := filepath.Join("..", "pcaps", "crafted", "resumed-without-client-auth.pcap")
	checkLinks(t, Config{Files: []string{file}}, file, []linkWant{
		{packet: 1, res: tlsparse.ResumptionFull},
		{packet: 19, res: tlsparse.ResumptionFull},
		{packet: 37, res: tlsparse.ResumptionTicket, from: 1, cert: tlsparse.ClientCertNone,
			flags: []tlsparse.Flag{tlsparse.FlagResumedWithoutClientAuth}},
		{packet: 53, res: tlsparse.ResumptionTicket, from: 19, cert: tlsparse.ClientCertSent},
	})
}

// TestLinksStream: rows written as they are decided are linked to none;
// a refused ticket is one of unknown origin.
func TestLinksStream(t *testing.T) {
	for _, tc := range []struct {
		file string
		want tlsparse.Flags
	}{
		{"tls12-ticket-rejected.pcap", tlsparse.FlagsOf(tlsparse.FlagTicketRejectedUnknown)},
		{"tls12-sessionid-rejected.pcap", 0},
		{"tls12-sessionid-resume.pcap", 0},
	} {
		var out rowCollector
		if _, err := Run(Config{Files: []string{realPcap(tc.file)}, Stream: true}, &out); err != nil {
			t.Fatal(err)
		}
		var flags tlsparse.Flags
		for _, r := range out.rows {
			if r.ResumedFrom != nil {
				t.Errorf("%s: streamed row %d linked to %+v", tc.file, r.Packet, *r.ResumedFrom)
			}
			flags |= r.Flags & linkingFlags
		}
		if flags != tc.want {
			t.Errorf("%s: linking flags %v, want %v", tc.file, flags, tc.want)
		}
	}
}

func realPcap(name string) string { return filepath.Join("..", "pcaps", "real", name) }

func checkLinks(t *testing.T, cfg Config, file string, want []linkWant) {
	t.Helper()
	var out rowCollector
	if _, err := Run(cfg, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(out.rows), len(want))
	}
	byPacket := map[uint64]*report.Row{}
	for _, r := range out.rows {
		byPacket[r.Packet] = r
	}
	for i, r := range out.rows {
		w := want[i]
		if r.Packet != w.packet || r.Resumption != w.res {
			t.Errorf("row %d: packet %d %v, want %d %v", i, r.Packet, r.Resumption, w.packet, w.res)
		}
		if got, want := r.Flags&linkingFlags, tlsparse.FlagsOf(w.flags...); got != want {
			t.Errorf("row %d (packet %d): flags %v, want %v", i, r.Packet, got, want)
		}
		o := r.ResumedFrom
		switch {
		case w.from == 0 && o != nil:
			t.Errorf("row %d (packet %d): resumed_from %+v, want none", i, r.Packet, *o)
		case w.from == 0:
		case o == nil:
			t.Errorf("row %d (packet %d): no resumed_from, want packet %d", i, r.Packet, w.from)
		default:
			orig := byPacket[w.from]
			if o.File != file || o.Packet != w.from || orig == nil || !o.Time.Equal(orig.Time) ||
				o.ClientIP != orig.ClientIP || o.ClientPort != orig.ClientPort ||
				o.ServerIP != orig.ServerIP || o.ServerPort != orig.ServerPort {
				t.Errorf("row %d (packet %d): resumed_from %+v, want %s packet %d", i, r.Packet, *o, file, w.from)
			}
			if o.ClientCert != w.cert {
				t.Errorf("row %d (packet %d): origin_client_cert %v, want %v", i, r.Packet, o.ClientCert, w.cert)
			}
			if orig != nil && orig.ClientCert != o.ClientCert {
				t.Errorf("row %d: origin_client_cert %v, the origin's row says %v", i, o.ClientCert, orig.ClientCert)
			}
		}
	}
}
