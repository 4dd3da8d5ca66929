module github.com/tlsscan/tlsscan

go 1.26.8
