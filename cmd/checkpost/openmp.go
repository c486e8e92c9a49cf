package main

import (
	"os"
	"syscall"
)

// Tesseract (the printed-field reader, through cgo) is built with OpenMP:
// each engine runs its networks on a team of libgomp threads that spin
// while they wait for work. Two engines reading small field crops beside
// the fingerprint search and the document checks on two cores spent
// about a third of the server's CPU in that spinning (a CPU profile under
// "checkpost bench api": 31% in libgomp; the server's CPU time per
// verification fell from 574-609 ms to 400-416 ms with one OpenMP thread,
// alternated runs, load 11-12), and the printed-field reading itself got
// faster, not slower. Tesseract's own advice for several engines in one
// process is one OpenMP thread each.
//
// libgomp reads OMP_THREAD_LIMIT once, when it is loaded, before any Go
// code runs; the per-thread setters of the OpenMP API do not reach the
// threads cgo calls Tesseract on. So the program starts itself again with
// the variable set. An operator who sets OMP_THREAD_LIMIT (or
// OMP_NUM_THREADS) keeps their value.

// openMPEnv is the variable set, and its value.
const openMPEnv, openMPSerial = "OMP_THREAD_LIMIT", "1"

// serialOpenMP re-executes the program with OMP_THREAD_LIMIT=1 when
// neither it nor OMP_NUM_THREADS is set. It returns only when it did not
// re-execute (already set, or the exec failed: the program then runs with
// libgomp's defaults, slower but correct).
func serialOpenMP() {
	if _, set := os.LookupEnv(openMPEnv); set {
		return
	}
	if _, set := os.LookupEnv("OMP_NUM_THREADS"); set {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), openMPEnv+"="+openMPSerial)
	_ = syscall.Exec(exe, os.Args, env)
}
