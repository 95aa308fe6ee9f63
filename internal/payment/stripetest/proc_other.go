//go:build !linux

package stripetest

import "os/exec"

// run starts cmd and returns a channel that gives its end. Without Linux's
// parent-death signal nothing stops stripe-mock when the test process
// ends: it outlives the run, listening on loopback, until killed.
func run(cmd *exec.Cmd) (<-chan error, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return exited, nil
}
