//go:build race

package keylog

// raceEnabled is set under the race detector, which makes the big tests
// too slow to be worth it.
const raceEnabled = true
