package mail

import (
	"context"
	"time"

	"github.com/bazaar/bazaar/tenantdb"
)

// Follow wakes the sender for every mail Enqueue announces, on the
// instance's shared LISTEN session l (start l afterwards). A reconnected
// session may have missed announcements, so it wakes the sender too.
func (s *Sender) Follow(l *tenantdb.Listener) {
	l.Subscribe(notifyChannel, tenantdb.Subscriber{
		Notify: func(string) { s.poke() },
		Reset:  s.poke,
	})
}

// poke wakes Run without blocking; wake-ups arriving during a pass fold into
// one more pass.
func (s *Sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due mail until ctx ends: a pass at start, then on each
// wake-up from Follow and every PollInterval. Wake-ups only make delivery
// prompt; polling alone delivers everything (retries come due without one),
// so Run keeps working without a listener. A pass that used its whole batch
// is followed by another at once. Failed passes are logged and retried on the
// next wake-up. Run returns nil when ctx is cancelled.
func (s *Sender) Run(ctx context.Context) error {
	poll := time.NewTicker(s.o.PollInterval)
	defer poll.Stop()
	for {
		s.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if s.onIdle != nil {
			s.onIdle()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-poll.C:
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
