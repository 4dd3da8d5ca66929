module github.com/tlsscan/tlsscan

go 1.26.8

require (
	github.com/gopacket/gopacket v1.7.7 // indirect
	golang.org/x/crypto v0.59.0 // indirect
)
