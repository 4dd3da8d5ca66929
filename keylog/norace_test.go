//go:build !race

package keylog

const raceEnabled = false
