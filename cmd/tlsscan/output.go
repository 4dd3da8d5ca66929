package main

import (
	"errors"
	"os"
	"path/filepath"
)

// outputFile is -o FILE: the report is written to a temporary file in
// FILE's directory and renamed over FILE only when the run has written
// everything, so a run that fails (a full disk, a usage error found late,
// a crash) never destroys the report an earlier run left. Input errors
// do not count as failing: the rows decided are the report, and the
// error says what is missing from it.
type outputFile struct {
	*os.File
	name string
	done bool
}

func createOutput(name string) (*outputFile, error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, err
	}
	// CreateTemp makes it private (0600); the report gets the mode a
	// plain create would have given it, or the one it had.
	mode := os.FileMode(0o644)
	if st, err := os.Stat(name); err == nil {
		mode = st.Mode().Perm()
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &outputFile{File: f, name: name}, nil
}

// commit makes the report the file named by -o.
func (o *outputFile) commit() error {
	o.done = true
	err := o.File.Close()
	if err == nil {
		err = os.Rename(o.File.Name(), o.name)
	}
	if err != nil {
		os.Remove(o.File.Name())
	}
	return err
}

// abort removes the temporary file unless commit ran.
func (o *outputFile) abort() {
	if o.done {
		return
	}
	o.done = true
	o.File.Close()
	if err := os.Remove(o.File.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
}
