package mail

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// pingInterval keeps the LISTEN connection's liveness checked; a failed ping
// makes lib/pq reconnect.
const pingInterval = 90 * time.Second

// Run delivers due mail until ctx ends: a pass at start, then on each
// notification from Enqueue and every PollInterval. Notifications only make
// delivery prompt; polling alone delivers everything (retries come due without
// one), so Run keeps working while LISTEN is unavailable. A pass that used
// its whole batch is followed by another at once. Failed passes are logged
// and retried on the next wake-up. Run returns nil when ctx is cancelled.
func (s *Sender) Run(ctx context.Context) error {
	l := pq.NewListener(s.db.ListenURL(), 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnectionAttemptFailed:
			s.log.Warn("mail: outbox listener: connection failed", "err", err)
		case pq.ListenerEventDisconnected:
			s.log.Warn("mail: outbox listener: disconnected", "err", err)
		}
	})
	defer l.Close()
	// Listen blocks until the listener has a connection: wait for it beside
	// the poll, not before it.
	listening := make(chan error, 1)
	go func() { listening <- l.Listen(notifyChannel) }()
	listened := false

	poll := time.NewTicker(s.o.PollInterval)
	defer poll.Stop()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	notify := l.NotificationChannel()
	for {
		s.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if listened && s.onIdle != nil {
			s.onIdle()
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-listening:
			listening = nil
			if err != nil {
				s.log.Error("mail: cannot listen for outbox notifications; polling only", "err", err)
				continue
			}
			// Mail committed between the first pass and LISTEN taking effect
			// was announced to nobody: the pass at the top of the loop
			// finds it.
			listened = true
		case _, ok := <-notify:
			if !ok {
				notify = nil
				continue
			}
			// A nil notification means the listener reconnected and may
			// have missed some; a pass covers both cases. Notifications
			// queued meanwhile are covered by the same pass.
			for pending := true; pending; {
				select {
				case _, ok := <-notify:
					pending = ok
				default:
					pending = false
				}
			}
		case <-poll.C:
		case <-ping.C:
			go l.Ping() //nolint:errcheck // a failed ping triggers the reconnect logic
		}
	}
}

// drain runs passes while they come back full, so a backlog larger than one
// batch does not wait for the next wake-up.
func (s *Sender) drain(ctx context.Context) {
	for ctx.Err() == nil {
		_, full, err := s.pass(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("mail: outbox pass failed", "err", err)
			}
			return
		}
		if !full {
			return
		}
	}
}
