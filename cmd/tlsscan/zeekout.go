package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// openZeekDir is -o DIR with --format zeek or zeek-json: DIR is created if
// it does not exist (as Zeek's log directory), and DIR/ssl.log and
// DIR/x509.log are opened as -o FILE opens its file (createOutput): each
// is written to a temporary file beside it and renamed into place by
// commit, so a failed run leaves the logs of an earlier run whole. The
// caller commits both when the run has written everything, and defers
// abort on both (abort after commit does nothing).
//
// The caller hands them to report.NewZeekWriter(ssl, x509, f, opts).
func openZeekDir(dir string) (ssl, x509 *outputFile, err error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, nil, fmt.Errorf("-o %s: not a directory (--format zeek writes ssl.log and x509.log into a directory)", dir)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, nil, err
	}
	if ssl, err = createOutput(filepath.Join(dir, "ssl.log")); err != nil {
		return nil, nil, err
	}
	if x509, err = createOutput(filepath.Join(dir, "x509.log")); err != nil {
		ssl.abort()
		return nil, nil, err
	}
	return ssl, x509, nil
}

// commitZeekDir commits both logs of openZeekDir, ssl.log first, and
// returns the first error.
func commitZeekDir(ssl, x509 *outputFile) error {
	err := ssl.commit()
	if xerr := x509.commit(); err == nil {
		err = xerr
	}
	return err
}
