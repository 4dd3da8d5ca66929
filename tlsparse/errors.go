package tlsparse

import (
	"errors"
	"fmt"
)

// ErrNeedMore means the input ends inside a unit (record header, record,
// handshake message): not a fault, the caller should retry with more bytes.
var ErrNeedMore = errors.New("tlsparse: need more data")

// ParseError is malformed input: it names the message, the field and the
// offset (within the message, or within the direction's byte stream for
// record-level errors) where parsing failed.
type ParseError struct {
	Msg    string // "record", "ClientHello", ...
	Field  string // "length", "cipher_suites", ...
	Offset int
	Err    error // optional cause
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("malformed %s: %s at offset %d", e.Msg, e.Field, e.Offset)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

func malformed(msg, field string, off int) *ParseError {
	return &ParseError{Msg: msg, Field: field, Offset: off}
}

// Anomaly is a stable snake_case code for something odd that does not stop
// parsing. The codes are part of tlsscan's JSON output.
type Anomaly string

const (
	// AnomalyUnexpectedMessage is a cleartext handshake message that
	// cannot come where the handshake is, as far as the capture shows:
	// from the wrong side or out of order (state.go's next says which can
	// come when). It counts where the handshake left the expected order,
	// once; after it only a hello from the wrong side counts again. A
	// capture that misses messages (it began after a direction's start,
	// lost bytes, or stopped parsing a direction) is judged only on its
	// hellos' sides; one that lacks a whole direction shows the other's
	// messages out of order.
	AnomalyUnexpectedMessage   Anomaly = "unexpected_message"
	AnomalyDuplicateExtension  Anomaly = "duplicate_extension"   // same extension twice in one hello
	AnomalyTrailingData        Anomaly = "trailing_data"         // bytes after a message's last field
	AnomalyEmptyRecord         Anomaly = "empty_record"          // zero-length handshake or alert record
	AnomalyHeartbeat           Anomaly = "heartbeat"             // heartbeat record in the clear
	AnomalyRenegotiation       Anomaly = "renegotiation"         // cleartext ClientHello after the ServerHello (TLS 1.3 has none: unexpected_message)
	AnomalyResync              Anomaly = "resync"                // bytes skipped to find a record boundary
	AnomalyNoCertificateAlert  Anomaly = "no_certificate_alert"  // SSLv3 client declined a CertificateRequest by alert
	AnomalyCCSBeforeHello      Anomaly = "ccs_before_hello"      // ChangeCipherSpec before the hellos
	AnomalySessionIDTooLong    Anomaly = "session_id_too_long"   // > 32 bytes
	AnomalyAbbreviatedNoReason Anomaly = "abbreviated_no_reason" // abbreviated handshake with neither echoed ID nor ticket
	// AnomalyADATUndecodable is a GridFTP ADAT token (gridftp.go) that
	// is not base64 or is over its bound: that direction stops there.
	AnomalyADATUndecodable Anomaly = "adat_undecodable"
)
