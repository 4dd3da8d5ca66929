package tlsparse

// DefaultBudget is the buffer budget of a run when none is given: 64 MiB
// over all connections (README "Limits").
const DefaultBudget = 64 << 20

// Budget bounds the bytes that the Conns sharing it hold in their buffers:
// records cut by segment boundaries and handshake messages that span
// records. A per-message cap would either refuse real messages (400 KB
// Certificate chains) or let many connections together take any amount of
// memory; one budget over all of them does neither.
//
// When a buffer would take the budget past its limit, the Conn that asked
// stops buffering: a handshake message is skipped to its end (its type and
// length are known, the messages after it are parsed as usual) and a record
// cut by a segment boundary ends its direction. Either way the connection
// is flagged oversize and keeps every verdict the rest of its bytes support.
//
// A Budget is not safe for concurrent use: each reassembly shard has its
// own, so the outcome does not depend on timing.
type Budget struct {
	limit int64
	used  int64
	peak  int64
	cut   uint64
}

// NewBudget returns a Budget of limit bytes; limit <= 0 means DefaultBudget.
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		limit = DefaultBudget
	}
	return &Budget{limit: limit}
}

// Limit is the budget's size in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// Used is the number of bytes the Conns hold now.
func (b *Budget) Used() int64 { return b.used }

// Peak is the most bytes held at once.
func (b *Budget) Peak() int64 { return b.peak }

// Cut is how many times a Conn stopped buffering for lack of budget.
func (b *Budget) Cut() uint64 { return b.cut }

func (b *Budget) take(n int64) bool {
	if b.used+n > b.limit {
		return false
	}
	b.used += n
	b.peak = max(b.peak, b.used)
	return true
}

func (b *Budget) give(n int64) { b.used -= n }

// exactUpTo is the largest known length a buffer gets at once: every
// record (at most 18 KB) and the common handshake messages are gathered in
// one allocation; a longer message grows by doubling, so that a length
// claimed but never sent costs only what arrived.
const exactUpTo = 32 << 10

// appendHeld appends p to *buf, growing it inside the budget: doubling, but
// never past whole (the length the buffer is known to need), so that a
// message whose length is known gets exactly its size. It reports false,
// leaving *buf as it was, when the growth does not fit. A nil budget is
// unlimited.
func appendHeld(bud *Budget, buf *[]byte, p []byte, whole int) bool {
	b := *buf
	if len(b)+len(p) <= cap(b) {
		*buf = append(b, p...)
		return true
	}
	need := len(b) + len(p)
	c := max(min(2*cap(b), whole), need, 64)
	if whole <= exactUpTo {
		c = max(whole, need)
	}
	if bud != nil && !bud.take(int64(c-cap(b))) {
		return false
	}
	nb := make([]byte, len(b), c)
	copy(nb, b)
	*buf = append(nb, p...)
	return true
}

// release frees *buf and gives its bytes back.
func release(bud *Budget, buf *[]byte) {
	if bud != nil {
		bud.give(int64(cap(*buf)))
	}
	*buf = nil
}
