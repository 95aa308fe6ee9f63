package stripetest

import (
	"os/exec"
	"runtime"
	"syscall"
)

// run starts cmd so that the kernel kills it when this process ends, by a
// normal exit, a failed test's os.Exit, a panic or a signal, and returns a
// channel that gives cmd's end. The parent-death signal follows the thread
// that started the child, not the process, so the goroutine starting it
// keeps that thread for itself while the child runs.
func run(cmd *exec.Cmd) (<-chan error, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	exited := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine, after the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return exited, nil
}
