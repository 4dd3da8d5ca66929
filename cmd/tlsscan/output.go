package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// outputFile is -o FILE: the report is written to a temporary file in
// FILE's directory and renamed over FILE only when the run has written
// everything, so a run that fails (a full disk, a crash, an input that
// cannot be read at all) never destroys the report an earlier run left.
// Input errors in the middle of a run do not count as failing: the rows
// decided are the report, and the error says what is missing from it.
//
// What is renamed over is the file itself: through a symbolic link, its
// target. A FILE that is not a regular file (/dev/null, a FIFO, a
// terminal) is written in place, as a shell redirection would: renaming
// over it would replace a device with a file.
type outputFile struct {
	*os.File
	name string // the file the temporary one becomes; "" when written in place
	done bool
}

func createOutput(name string) (*outputFile, error) {
	if target, err := filepath.EvalSymlinks(name); err == nil {
		name = target
	}
	if st, err := os.Stat(name); err == nil && !st.Mode().IsRegular() {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return nil, err
		}
		return &outputFile{File: f}, nil
	}
	f, err := createTemp(name)
	if err != nil {
		return nil, err
	}
	// Created with 0666 and the umask, as a plain create would be; an
	// existing report keeps its own mode.
	if st, err := os.Stat(name); err == nil {
		if err := f.Chmod(st.Mode().Perm()); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, err
		}
	}
	return &outputFile{File: f, name: name}, nil
}

// createTemp makes a new file beside name, named .BASE.RANDOM.tmp.
func createTemp(name string) (*os.File, error) {
	dir, base := filepath.Split(name)
	var err error
	for range 100 {
		var r [6]byte
		rand.Read(r[:])
		var f *os.File
		f, err = os.OpenFile(filepath.Join(dir, "."+base+"."+hex.EncodeToString(r[:])+".tmp"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, err
}

// commit makes the report the file named by -o.
func (o *outputFile) commit() error {
	o.done = true
	err := o.File.Close()
	if o.name == "" {
		return err
	}
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
	if o.name != "" {
		os.Remove(o.File.Name())
	}
}
