//go:build race

package pipeline_test

// raceEnabled lets the hostile test scale its biggest inputs down under the
// race detector, which multiplies time and memory.
const raceEnabled = true
