package main

import (
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// defaultWidth is the width assumed for a terminal that does not tell its
// size (a serial console whose window size was never set reports 0 x 0),
// as ls does.
const defaultWidth = 80

// terminalWidth is the width in columns of the terminal w writes to, or 0
// when w is not a terminal (a pipe, a file, -o NAME): the table then keeps
// its fixed layout (docs/output.md "Table"), so what is saved or piped does
// not depend on the window it was run from.
//
// $COLUMNS: when w is a terminal and COLUMNS is a positive integer, it
// overrides the window's width, as it does for ls and tput, so a user can
// ask for a narrower (or wider) table on purpose. It never turns the
// fixed layout of a pipe or file into a terminal one: shells keep COLUMNS
// up to date in interactive sessions and some export it, so honouring it
// there would make redirected output depend on the window.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if n, _, err := term.GetSize(fd); err == nil && n > 0 {
		return n
	}
	return defaultWidth
}
