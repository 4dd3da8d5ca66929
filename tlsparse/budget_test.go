package tlsparse

import "testing"

// TestBudgetCutsTheLargestMessage: when a buffer does not fit, the largest
// handshake message being gathered over the Conns of the budget stops
// buffering, not the one that asked: a half-received 100 KB Certificate
// on one connection gives way to an ordinary CertificateRequest of 60 KB
// on another (issue 9: "stop buffering the largest message").
func TestBudgetCutsTheLargestMessage(t *testing.T) {
	p := pkiOnce()
	bud := NewBudget(128 << 10)
	chain := make([][]byte, 0, 256)
	for len(cat(chain...)) < 100<<10 {
		chain = append(chain, p.server)
	}
	bigCert := mkRecords(ContentHandshake, v12, cat(shSpec{}.msg(), certMsg(chain...)), MaxPlaintext)
	a := NewConn(Options{Budget: bud})
	a.Feed(0, chSpec{}.rec())
	a.Feed(1, bigCert[:90<<10]) // the Certificate is still coming
	if held := bud.Used(); held < 90<<10 {
		t.Fatalf("the first connection holds %d bytes, want its Certificate so far", held)
	}

	cas := make([][]byte, 60000/(2+len(p.dnB)))
	for i := range cas {
		cas[i] = p.dnB
	}
	b := NewConn(Options{Budget: bud})
	b.Feed(0, chSpec{}.rec())
	b.Feed(1, mkRecords(ContentHandshake, v12, cat(shSpec{}.msg(), certMsg(p.server), crMsg12(cas...), shdMsg()), MaxPlaintext))
	sb := b.Summary()
	if sb.Flags.Has(FlagOversize) || sb.CertReq != CertRequestedYes || sb.CertRequest == nil || len(sb.CertRequest.CANames) != len(cas) {
		t.Errorf("the second connection: flags %v, cert_requested %v, CA names %v; want its CertificateRequest read whole",
			sb.Flags, sb.CertReq, sb.CertRequest != nil)
	}
	a.Feed(1, bigCert[90<<10:])
	sa := a.Summary()
	if !sa.Flags.Has(FlagOversize) || sa.ServerCerts != -1 || sa.Resumption != ResumptionFull {
		t.Errorf("the first connection: flags %v, server_certs %d, resumption %v; want oversize, the count unknown, full",
			sa.Flags, sa.ServerCerts, sa.Resumption)
	}
	if bud.Cut() != 1 {
		t.Errorf("budget cut %d connections, want 1", bud.Cut())
	}
	a.Release()
	b.Release()
	if bud.Used() != 0 || len(bud.msgs) != 0 {
		t.Errorf("after Release: %d bytes used, %d message holders", bud.Used(), len(bud.msgs))
	}
}

// TestBudgetHeapUnderPressure: many connections each gathering a message
// of its own declared length through a budget that holds a few of them:
// the heap's places stay right, the largest go first, and everything is
// given back.
func TestBudgetHeapUnderPressure(t *testing.T) {
	bud := NewBudget(256 << 10)
	rng := uint32(1)
	next := func(n int) int { rng = rng*1664525 + 1013904223; return int(rng>>8) % n }
	var conns []*Conn
	for i := range 300 {
		size := 20<<10 + next(200<<10)
		msg := mkHS(TypeCertificate, make([]byte, size))
		recs := mkRecords(ContentHandshake, v12, cat(shSpec{}.msg(), msg), MaxPlaintext)
		c := NewConn(Options{Budget: bud})
		c.Feed(0, chSpec{}.rec())
		c.Feed(1, recs[:min(len(recs), 3<<10+next(40<<10))]) // part of it
		conns = append(conns, c)
		for j, m := range bud.msgs {
			if m.c.half[m.h].msgSlot != j+1 {
				t.Fatalf("after connection %d: heap entry %d has slot %d", i, j, m.c.half[m.h].msgSlot)
			}
			if j > 0 && bud.msgs[(j-1)/2].whole < m.whole {
				t.Fatalf("after connection %d: heap order broken at %d", i, j)
			}
		}
		if bud.Used() > bud.Limit() {
			t.Fatalf("used %d over the limit %d", bud.Used(), bud.Limit())
		}
	}
	if bud.Cut() == 0 {
		t.Fatal("the budget never cut: the test does not press it")
	}
	for _, c := range conns {
		c.Release()
	}
	if bud.Used() != 0 || len(bud.msgs) != 0 {
		t.Errorf("after Release: %d bytes used, %d holders", bud.Used(), len(bud.msgs))
	}
}
