package report

// SessionIDs is the name Sessions had when it decided session_id_rejected
// alone; NewSessionIDs is NewSessions. Sessions (links.go) now links
// session IDs and tickets alike.
type SessionIDs = Sessions

// NewSessionIDs returns NewSessions(max).
func NewSessionIDs(max int) *Sessions { return NewSessions(max) }
