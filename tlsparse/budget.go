package tlsparse

import "container/heap"

// DefaultBudget is the buffer budget of a run when none is given: 64 MiB
// over all connections (README "Limits").
const DefaultBudget = 64 << 20

// Budget bounds the bytes that the Conns sharing it hold in their buffers:
// records cut by segment boundaries and handshake messages that span
// records. A per-message cap would either refuse real messages (400 KB
// Certificate chains) or let many connections together take any amount of
// memory; one budget over all of them does neither.
//
// When a buffer would take the budget past its limit, the largest
// handshake message being gathered (by its declared length, over every
// Conn of the budget) stops buffering, until the buffer fits: it is
// skipped to its end (its type and length are known, the messages after
// it are parsed as usual). Only when the asker's own buffer is at least
// as large as any other does the asker stop: a message so, and a record
// cut by a segment boundary ends its direction. Either way the connection
// cut is flagged oversize and keeps every verdict the rest of its bytes
// support. So one huge message cannot starve the ordinary handshakes
// around it.
//
// A Budget is not safe for concurrent use: each reassembly shard has its
// own, so the outcome does not depend on timing.
type Budget struct {
	limit int64
	used  int64
	peak  int64
	cut   uint64
	msgs  msgHeap // the message buffers in use (half.buf with a header), largest declared length first
}

// msgHolder is a half whose buffer holds part of a handshake message of
// the declared length whole.
type msgHolder struct {
	c     *Conn
	h     int
	whole int
}

// msgHeap keeps the holders by declared length, largest first, so that
// makeRoom finds the message to pass over in O(log n) however many
// connections hold partial messages (a linear scan made a budget kept
// full by many small holders quadratic). Each half knows its place
// (half.msgSlot, 1-based) for dropMsg.
type msgHeap []msgHolder

func (q msgHeap) Len() int           { return len(q) }
func (q msgHeap) Less(i, j int) bool { return q[i].whole > q[j].whole }
func (q msgHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].c.half[q[i].h].msgSlot = i + 1
	q[j].c.half[q[j].h].msgSlot = j + 1
}
func (q *msgHeap) Push(x any) {
	m := x.(msgHolder)
	m.c.half[m.h].msgSlot = len(*q) + 1
	*q = append(*q, m)
}
func (q *msgHeap) Pop() any {
	old := *q
	m := old[len(old)-1]
	old[len(old)-1] = msgHolder{}
	*q = old[:len(old)-1]
	m.c.half[m.h].msgSlot = 0
	return m
}

// holdMsg registers half h's message buffer (once it holds a header).
func (b *Budget) holdMsg(c *Conn, h int) {
	hf := &c.half[h]
	if b == nil || hf.msgSlot > 0 || len(hf.buf) < 4 {
		return
	}
	heap.Push(&b.msgs, msgHolder{c, h, 4 + u24(hf.buf[1:4])})
}

// dropMsg unregisters half h's message buffer.
func (b *Budget) dropMsg(c *Conn, h int) {
	if b == nil || c.half[h].msgSlot == 0 {
		return
	}
	heap.Remove(&b.msgs, c.half[h].msgSlot-1)
}

// makeRoom stops buffering the largest messages other than the asker's
// (asker: the buffer asking; whole: the length it needs) until n more
// bytes fit. It reports whether they do.
func (b *Budget) makeRoom(n int64, asker *[]byte, whole int) bool {
	for b.used+n > b.limit {
		if len(b.msgs) == 0 {
			return false
		}
		m := b.msgs[0]
		if &m.c.half[m.h].buf == asker || m.whole <= whole {
			return false // the asker's is the largest
		}
		// Passed over as what it is: a message read decrypted stays
		// out of the cleartext history and state machine.
		was := m.c.inDecrypt
		m.c.inDecrypt = m.c.half[m.h].bufDec
		m.c.messageTooBig(m.h, m.whole, nil)
		m.c.inDecrypt = was
	}
	return true
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
	if bud != nil && !bud.take(int64(c-cap(b))) &&
		!(bud.makeRoom(int64(c-cap(b)), buf, whole) && bud.take(int64(c-cap(b)))) {
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
